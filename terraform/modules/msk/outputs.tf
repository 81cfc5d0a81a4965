output "cluster_arn" {
  description = "ARN of the MSK cluster."
  value       = aws_msk_cluster.this.arn
}

output "cluster_name" {
  description = "Name of the MSK cluster (the \"Cluster Name\" dimension of AWS/Kafka metrics)."
  value       = aws_msk_cluster.this.cluster_name
}

output "bootstrap_brokers_sasl_scram" {
  description = "Comma-separated host:9096 list of the SASL/SCRAM TLS listener."
  value       = aws_msk_cluster.this.bootstrap_brokers_sasl_scram
}

output "security_group_id" {
  description = "Security group of the brokers."
  value       = aws_security_group.msk.id
}

output "scram_secret_arn" {
  description = "ARN of the SASL/SCRAM secret (JSON keys username, password)."
  value       = aws_secretsmanager_secret.scram.arn
}

output "scram_secret_name" {
  description = "Name of the SASL/SCRAM secret."
  value       = aws_secretsmanager_secret.scram.name
}

output "broker_log_group" {
  description = "CloudWatch log group of the broker logs."
  value       = aws_cloudwatch_log_group.broker.name
}
