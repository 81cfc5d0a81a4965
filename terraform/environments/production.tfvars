# Production: three zones with a NAT gateway each, larger tasks, on-demand base capacity,
# three MSK brokers with replication factor 3 and min.insync.replicas 2.
# terraform apply -var-file=environments/production.tfvars -var="ingress_image=..." -var="processor_image=..."

environment = "production"
aws_region  = "us-east-1"

# network
vpc_cidr           = "10.20.0.0/16"
az_count           = 3
single_nat_gateway = false

# load balancer: set certificate_arn (ACM, same region) and domain_name for HTTPS
allowed_cidrs           = ["0.0.0.0/0"]
certificate_arn         = ""
domain_name             = ""
alb_idle_timeout        = 120
alb_deletion_protection = true
alb_expose_metrics      = false

# images (the CD pipeline overrides both with the tag's images)
ingress_image                     = "ghcr.io/your-org/contact-center-orchestrator/ingress:latest"
processor_image                   = "ghcr.io/your-org/contact-center-orchestrator/processor:latest"
repository_credentials_secret_arn = ""
kafka_tools_image                 = "apache/kafka:3.8.0"
kcat_image                        = "edenhill/kcat:1.7.1"

# services
ingress_cpu         = 1024
ingress_memory      = 2048
processor_cpu       = 2048
processor_memory    = 4096
ingress_min_count   = 3
ingress_max_count   = 12
processor_min_count = 3
processor_max_count = 12

autoscaling_cpu_target      = 65
autoscaling_memory_target   = 70
ingress_requests_per_target = 6000
processor_lag_per_task      = 1000

fargate_base        = 2
fargate_weight      = 3
fargate_spot_weight = 1

stop_timeout           = 30
enable_execute_command = false
container_insights     = "enabled"
log_retention_days     = 90
log_level              = "info"

# application
ingress_max_body_bytes   = 262144
ingress_results_window_s = 900
ingress_rate_limit_rps   = 200
ingress_rate_limit_burst = 400
consumer_group           = "ccai-processor"
processor_max_inflight   = 256
processor_fallback       = "rules"
ai_provider              = "auto"
openai_model             = "gpt-4o-mini"
redact_pii               = true

processor_extra_environment = {
  OPENAI_RPM = "5000"
  OPENAI_TPM = "2000000"
}

# secrets: the values are seeded from TF_VAR_openai_api_key / TF_VAR_ingress_api_keys
secret_recovery_window_days = 30
kms_deletion_window_days    = 30

# Kafka
kafka_version             = "3.6.0"
msk_broker_count          = 3
msk_instance_type         = "kafka.m7g.large"
msk_ebs_volume_size       = 500
msk_enhanced_monitoring   = "PER_TOPIC_PER_PARTITION"
kafka_replication_factor  = 3
kafka_min_insync_replicas = 2
kafka_log_retention_hours = 168

topic_events             = "contact-events"
topic_results            = "contact-results"
topic_dlq                = "contact-events-dlq"
topic_events_partitions  = 12
topic_results_partitions = 12
topic_dlq_partitions     = 3

# alarms: set alarm_email or alarm_sns_topic_arn to get notified
alarm_email                  = ""
alarm_sns_topic_arn          = ""
consumer_lag_alarm_threshold = 10000
dead_letter_alarm_threshold  = 10

tags = {
  CostCenter = "contact-center"
}
