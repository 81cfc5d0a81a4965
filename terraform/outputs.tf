output "alb_url" {
  description = "Base URL of the API (https://domain_name when set, else http://<ALB DNS name>)."
  value       = local.alb_url

  precondition {
    condition     = var.certificate_arn == "" || var.domain_name != ""
    error_message = "Set domain_name together with certificate_arn: HTTP redirects to HTTPS, and the certificate does not cover the ALB's own DNS name."
  }
}

output "alb_dns_name" {
  description = "DNS name of the ALB (target of your CNAME/alias record)."
  value       = module.alb.alb_dns_name
}

output "alb_zone_id" {
  description = "Route 53 hosted zone ID of the ALB (for an alias record)."
  value       = module.alb.alb_zone_id
}

output "ecs_cluster_name" {
  description = "ECS cluster name."
  value       = aws_ecs_cluster.this.name
}

output "cloudwatch_log_group" {
  description = "Log group of both services (streams ingress/... and processor/...)."
  value       = aws_cloudwatch_log_group.orchestrator.name
}

output "ingress_service_name" {
  description = "ECS service of ccai-ingress."
  value       = module.ingress.service_name
}

output "processor_service_name" {
  description = "ECS service of ccai-processor."
  value       = module.processor.service_name
}

output "ingress_task_definition_arn" {
  description = "Task definition (with revision) the ingress service was given by this apply."
  value       = module.ingress.task_definition_arn
}

output "processor_task_definition_arn" {
  description = "Task definition (with revision) the processor service was given by this apply."
  value       = module.processor.task_definition_arn
}

output "kafka_admin_task_definition" {
  description = "Task definition family of the one-shot Kafka admin task (creates the topics; runs Kafka CLI commands)."
  value       = aws_ecs_task_definition.kafka_admin.family
}

output "kcat_task_definition" {
  description = "Task definition family of the kcat operations task."
  value       = aws_ecs_task_definition.kcat.family
}

output "ops_network_configuration" {
  description = "JSON for aws ecs run-task --network-configuration (private subnets, ops security group)."
  value = jsonencode({
    awsvpcConfiguration = {
      subnets        = module.network.private_subnet_ids
      securityGroups = [aws_security_group.ops.id]
      assignPublicIp = "DISABLED"
    }
  })
}

output "msk_cluster_arn" {
  description = "ARN of the MSK cluster."
  value       = module.msk.cluster_arn
}

output "msk_cluster_name" {
  description = "Name of the MSK cluster."
  value       = module.msk.cluster_name
}

output "msk_bootstrap_brokers" {
  description = "SASL/SCRAM TLS bootstrap brokers (KAFKA_BOOTSTRAP_SERVERS of the services)."
  value       = module.msk.bootstrap_brokers_sasl_scram
}

output "msk_scram_secret_name" {
  description = "Secret with the SASL/SCRAM credentials (AmazonMSK_...)."
  value       = module.msk.scram_secret_name
}

output "msk_scram_secret_arn" {
  description = "ARN of the SASL/SCRAM secret."
  value       = module.msk.scram_secret_arn
}

output "openai_api_key_secret_name" {
  description = "Secret with the OpenAI API key (JSON key api_key)."
  value       = aws_secretsmanager_secret.openai_api_key.name
}

output "openai_api_key_secret_arn" {
  description = "ARN of the OpenAI API key secret."
  value       = aws_secretsmanager_secret.openai_api_key.arn
}

output "ingress_api_keys_secret_name" {
  description = "Secret with the ingress API keys (JSON key api_keys)."
  value       = aws_secretsmanager_secret.ingress_api_keys.name
}

output "ingress_api_keys_secret_arn" {
  description = "ARN of the ingress API keys secret."
  value       = aws_secretsmanager_secret.ingress_api_keys.arn
}

output "kms_key_arn" {
  description = "Customer-managed KMS key of the secrets and of MSK."
  value       = aws_kms_key.orchestrator.arn
}

output "task_execution_role_name" {
  description = "ECS task execution role."
  value       = aws_iam_role.task_execution.name
}

output "ingress_task_role_name" {
  description = "Task role of the ingress."
  value       = aws_iam_role.ingress_task.name
}

output "processor_task_role_name" {
  description = "Task role of the processor."
  value       = aws_iam_role.processor_task.name
}

output "topics" {
  description = "Topic names and partition counts."
  value       = local.topics
}

output "dashboard_name" {
  description = "CloudWatch dashboard."
  value       = module.observability.dashboard_name
}

output "alarm_topic_arn" {
  description = "SNS topic the alarms notify (empty when none)."
  value       = module.observability.alarm_topic_arn
}

output "vpc_id" {
  description = "VPC of the environment."
  value       = module.network.vpc_id
}

output "nat_gateway_public_ips" {
  description = "Outbound IPs of the tasks (e.g. for an OpenAI IP allow-list)."
  value       = module.network.nat_gateway_public_ips
}
