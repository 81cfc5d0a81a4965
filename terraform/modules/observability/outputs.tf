output "alarm_topic_arn" {
  description = "SNS topic the alarms notify (empty when none)."
  value       = join(",", local.alarm_actions)
}

output "dashboard_name" {
  description = "CloudWatch dashboard name."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "dead_letter_metric" {
  description = "Namespace/name of the dead-letter metric."
  value       = "${local.dead_letter_namespace}/${local.dead_letter_metric}"
}

output "alarm_names" {
  description = "Names of all alarms."
  value = concat(
    [for a in aws_cloudwatch_metric_alarm.cpu_high : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.memory_high : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.unhealthy_targets : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.broker_disk : a.alarm_name],
    [
      aws_cloudwatch_metric_alarm.alb_5xx.alarm_name,
      aws_cloudwatch_metric_alarm.response_time.alarm_name,
      aws_cloudwatch_metric_alarm.consumer_lag.alarm_name,
      aws_cloudwatch_metric_alarm.offline_partitions.alarm_name,
      aws_cloudwatch_metric_alarm.dead_letters.alarm_name,
    ]
  )
}
