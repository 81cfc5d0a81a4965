# Staging: small and cheap, two zones, one NAT gateway, mostly Spot.
# terraform apply -var-file=environments/staging.tfvars -var="ingress_image=..." -var="processor_image=..."

environment = "staging"
aws_region  = "us-east-1"

# network
vpc_cidr           = "10.10.0.0/16"
az_count           = 2
single_nat_gateway = true

# load balancer (set certificate_arn and domain_name for HTTPS)
allowed_cidrs           = ["0.0.0.0/0"]
certificate_arn         = ""
domain_name             = ""
alb_idle_timeout        = 120
alb_deletion_protection = false
alb_expose_metrics      = false

# images (the CD pipeline overrides both with the commit's images)
ingress_image                     = "ghcr.io/your-org/contact-center-orchestrator/ingress:latest"
processor_image                   = "ghcr.io/your-org/contact-center-orchestrator/processor:latest"
repository_credentials_secret_arn = ""
kafka_tools_image                 = "apache/kafka:3.8.0"
kcat_image                        = "edenhill/kcat:1.7.1"

# services
ingress_cpu         = 256
ingress_memory      = 512
processor_cpu       = 512
processor_memory    = 1024
ingress_min_count   = 1
ingress_max_count   = 3
processor_min_count = 1
processor_max_count = 4

autoscaling_cpu_target      = 70
autoscaling_memory_target   = 75
ingress_requests_per_target = 3000
processor_lag_per_task      = 500

fargate_base        = 0
fargate_weight      = 1
fargate_spot_weight = 3

stop_timeout           = 30
enable_execute_command = true
container_insights     = "enabled"
log_retention_days     = 14
log_level              = "debug"

# application
ingress_max_body_bytes   = 262144
ingress_results_window_s = 900
ingress_rate_limit_rps   = 0
ingress_rate_limit_burst = 0
consumer_group           = "ccai-processor"
processor_max_inflight   = 64
processor_fallback       = "rules"
ai_provider              = "auto"
openai_model             = "gpt-4o-mini"
redact_pii               = true

processor_extra_environment = {
  OPENAI_RPM = "500"
}

# secrets: the values are seeded from TF_VAR_openai_api_key / TF_VAR_ingress_api_keys
secret_recovery_window_days = 0
kms_deletion_window_days    = 7

# Kafka
kafka_version             = "3.6.0"
msk_broker_count          = 2
msk_instance_type         = "kafka.t3.small"
msk_ebs_volume_size       = 20
msk_enhanced_monitoring   = "PER_TOPIC_PER_PARTITION"
kafka_replication_factor  = 2
kafka_min_insync_replicas = 1
kafka_log_retention_hours = 72

topic_events             = "contact-events"
topic_results            = "contact-results"
topic_dlq                = "contact-events-dlq"
topic_events_partitions  = 12
topic_results_partitions = 12
topic_dlq_partitions     = 3

# alarms
alarm_email                  = ""
alarm_sns_topic_arn          = ""
consumer_lag_alarm_threshold = 2000
dead_letter_alarm_threshold  = 10

tags = {
  CostCenter = "contact-center"
}
