module "observability" {
  source = "./modules/observability"

  name             = local.name
  environment      = var.environment
  aws_region       = local.region
  log_group_name   = aws_cloudwatch_log_group.orchestrator.name
  ecs_cluster_name = aws_ecs_cluster.this.name
  alb_arn_suffix   = module.alb.alb_arn_suffix

  services = {
    ingress = {
      service_name            = module.ingress.service_name
      target_group_arn_suffix = module.alb.ingress_target_group_arn_suffix
    }
    processor = {
      service_name            = module.processor.service_name
      target_group_arn_suffix = module.alb.processor_target_group_arn_suffix
    }
  }

  msk_cluster_name = module.msk.cluster_name
  msk_broker_count = var.msk_broker_count
  consumer_group   = var.consumer_group
  events_topic     = var.topic_events

  alarm_email             = var.alarm_email
  alarm_sns_topic_arn     = var.alarm_sns_topic_arn
  cpu_threshold           = 85
  memory_threshold        = 85
  http_5xx_threshold      = 10
  response_time_threshold = 5
  consumer_lag_threshold  = var.consumer_lag_alarm_threshold
  dead_letter_threshold   = var.dead_letter_alarm_threshold
}
