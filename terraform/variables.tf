# --- general ----------------------------------------------------------------------------------
variable "aws_region" {
  description = "AWS region of the environment."
  type        = string
  default     = "us-east-1"
}

variable "environment" {
  description = "Environment name: staging or production (any short lowercase name works). Prefixes every resource name."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,11}$", var.environment))
    error_message = "environment must be 2-12 characters of a-z, 0-9 and -, starting with a letter."
  }
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

# --- network --------------------------------------------------------------------------------
variable "vpc_cidr" {
  description = "CIDR block of the VPC (/16 recommended: subnets are /24)."
  type        = string
  default     = "10.0.0.0/16"
}

variable "az_count" {
  description = "Availability zones used by the VPC, the tasks and MSK (2 or 3)."
  type        = number
  default     = 2
}

variable "single_nat_gateway" {
  description = "One shared NAT gateway (cheaper) instead of one per zone."
  type        = bool
  default     = true
}

# --- load balancer ----------------------------------------------------------------------------
variable "allowed_cidrs" {
  description = "IPv4 CIDR blocks allowed to reach the ALB."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "certificate_arn" {
  description = "ACM certificate ARN: enables the HTTPS listener and redirects HTTP to it. Empty: HTTP only."
  type        = string
  default     = ""
}

variable "domain_name" {
  description = "DNS name clients use (a CNAME/alias to the ALB, managed outside); alb_url is https://<domain_name> when set. Needed with certificate_arn."
  type        = string
  default     = ""
}

variable "alb_idle_timeout" {
  description = "ALB idle timeout in seconds."
  type        = number
  default     = 120
}

variable "alb_deletion_protection" {
  description = "Protect the ALB from deletion."
  type        = bool
  default     = false
}

variable "alb_expose_metrics" {
  description = "Serve the ingress /metrics through the ALB (default: 404 at the ALB)."
  type        = bool
  default     = false
}

# --- images -----------------------------------------------------------------------------------
variable "ingress_image" {
  description = "Image of ccai-ingress (the CD pipeline passes ghcr.io/<owner>/<repo>/ingress:sha-<commit>)."
  type        = string
  default     = "ghcr.io/your-org/contact-center-orchestrator/ingress:latest"
}

variable "processor_image" {
  description = "Image of ccai-processor (the CD pipeline passes ghcr.io/<owner>/<repo>/processor:sha-<commit>)."
  type        = string
  default     = "ghcr.io/your-org/contact-center-orchestrator/processor:latest"
}

variable "repository_credentials_secret_arn" {
  description = "Secrets Manager secret {\"username\",\"password\"} (a GitHub token with read:packages) for private GHCR images; empty when the packages are public."
  type        = string
  default     = ""
}

variable "kafka_tools_image" {
  description = "Image of the kafka-admin task (needs the Kafka CLI in /opt/kafka/bin)."
  type        = string
  default     = "apache/kafka:3.8.0"
}

variable "kcat_image" {
  description = "Image of the kcat operations task."
  type        = string
  default     = "edenhill/kcat:1.7.1"
}

# --- services ---------------------------------------------------------------------------------
variable "ingress_port" {
  description = "Port of ccai-ingress (PORT)."
  type        = number
  default     = 8000
}

variable "processor_port" {
  description = "Admin port of ccai-processor (PROCESSOR_PORT)."
  type        = number
  default     = 8001
}

variable "ingress_cpu" {
  description = "CPU units of an ingress task."
  type        = number
  default     = 512
}

variable "ingress_memory" {
  description = "Memory (MiB) of an ingress task."
  type        = number
  default     = 1024
}

variable "processor_cpu" {
  description = "CPU units of a processor task."
  type        = number
  default     = 1024
}

variable "processor_memory" {
  description = "Memory (MiB) of a processor task."
  type        = number
  default     = 2048
}

variable "ingress_min_count" {
  description = "Minimum (and initial) number of ingress tasks."
  type        = number
  default     = 2
}

variable "ingress_max_count" {
  description = "Maximum number of ingress tasks."
  type        = number
  default     = 6
}

variable "processor_min_count" {
  description = "Minimum (and initial) number of processor tasks."
  type        = number
  default     = 2
}

variable "processor_max_count" {
  description = "Maximum number of processor tasks (capped at topic_events_partitions)."
  type        = number
  default     = 12
}

variable "autoscaling_cpu_target" {
  description = "Target average CPU utilisation (%) of both services."
  type        = number
  default     = 70
}

variable "autoscaling_memory_target" {
  description = "Target average memory utilisation (%) of both services."
  type        = number
  default     = 75
}

variable "ingress_requests_per_target" {
  description = "Target ALB requests per ingress task per minute (0 disables this policy)."
  type        = number
  default     = 3000
}

variable "processor_lag_per_task" {
  description = "Target consumer lag (records behind on the events topic) per processor task."
  type        = number
  default     = 500
}

variable "fargate_base" {
  description = "Tasks of each service always placed on on-demand FARGATE."
  type        = number
  default     = 1
}

variable "fargate_weight" {
  description = "Weight of FARGATE beyond the base."
  type        = number
  default     = 1
}

variable "fargate_spot_weight" {
  description = "Weight of FARGATE_SPOT beyond the base (0: no Spot)."
  type        = number
  default     = 1
}

variable "stop_timeout" {
  description = "Seconds between SIGTERM and SIGKILL when a task stops (the binaries drain within 30 s)."
  type        = number
  default     = 30
}

variable "enable_execute_command" {
  description = "Allow ECS Exec into the service tasks (makes the root file system writable)."
  type        = bool
  default     = false
}

variable "container_insights" {
  description = "Container Insights on the cluster: enabled, enhanced or disabled (the processor lag policy uses its RunningTaskCount)."
  type        = string
  default     = "enabled"
}

variable "log_retention_days" {
  description = "Retention of /ecs/contact-center-orchestrator-<environment> and the MSK broker logs."
  type        = number
  default     = 30
}

variable "log_level" {
  description = "LOG_LEVEL of both services."
  type        = string
  default     = "info"
}

# --- application settings ---------------------------------------------------------------------
variable "ingress_max_body_bytes" {
  description = "INGRESS_MAX_BODY_BYTES."
  type        = number
  default     = 262144
}

variable "ingress_results_window_s" {
  description = "INGRESS_RESULTS_WINDOW_S."
  type        = number
  default     = 900
}

variable "ingress_rate_limit_rps" {
  description = "INGRESS_RATE_LIMIT_RPS per API key (0: no rate limit)."
  type        = number
  default     = 0
}

variable "ingress_rate_limit_burst" {
  description = "INGRESS_RATE_LIMIT_BURST (used when ingress_rate_limit_rps > 0)."
  type        = number
  default     = 0
}

variable "consumer_group" {
  description = "CONSUMER_GROUP of the processor."
  type        = string
  default     = "ccai-processor"
}

variable "processor_max_inflight" {
  description = "PROCESSOR_MAX_INFLIGHT."
  type        = number
  default     = 256
}

variable "processor_fallback" {
  description = "PROCESSOR_FALLBACK: rules or dlq."
  type        = string
  default     = "rules"

  validation {
    condition     = contains(["rules", "dlq"], var.processor_fallback)
    error_message = "processor_fallback must be rules or dlq."
  }
}

variable "ai_provider" {
  description = "AI_PROVIDER: auto, openai or rules."
  type        = string
  default     = "auto"

  validation {
    condition     = contains(["auto", "openai", "rules"], var.ai_provider)
    error_message = "ai_provider must be auto, openai or rules."
  }
}

variable "openai_model" {
  description = "OPENAI_MODEL."
  type        = string
  default     = "gpt-4o-mini"
}

variable "redact_pii" {
  description = "REDACT_PII."
  type        = bool
  default     = true
}

variable "ingress_extra_environment" {
  description = "More environment variables for the ingress (e.g. KAFKA_CONFIG_LINGER_MS)."
  type        = map(string)
  default     = {}
}

variable "processor_extra_environment" {
  description = "More environment variables for the processor (e.g. OPENAI_RPM, OPENAI_TPM)."
  type        = map(string)
  default     = {}
}

# --- secrets (initial values only; see secrets.tf) ---------------------------------------------
variable "openai_api_key" {
  description = "Initial value of {env}/orchestrator/openai_api_key (empty: the processor uses its offline analyzer). Later changes are ignored: rotate in Secrets Manager."
  type        = string
  default     = ""
  sensitive   = true
}

variable "ingress_api_keys" {
  description = "Initial value of {env}/orchestrator/ingress_api_keys (tenant:key pairs, comma-separated). Required for the ingress to start. Later changes are ignored: rotate in Secrets Manager."
  type        = string
  default     = ""
  sensitive   = true
}

variable "secret_recovery_window_days" {
  description = "Recovery window of deleted secrets (0 deletes at once, handy for throw-away staging)."
  type        = number
  default     = 7
}

variable "kms_deletion_window_days" {
  description = "Waiting period before the KMS key is deleted."
  type        = number
  default     = 30
}

# --- Kafka (MSK) ------------------------------------------------------------------------------
variable "kafka_version" {
  description = "Kafka version of the MSK cluster."
  type        = string
  default     = "3.6.0"
}

variable "msk_broker_count" {
  description = "MSK broker nodes (a multiple of az_count)."
  type        = number
  default     = 2
}

variable "msk_instance_type" {
  description = "MSK broker instance type."
  type        = string
  default     = "kafka.t3.small"
}

variable "msk_ebs_volume_size" {
  description = "EBS GiB per broker."
  type        = number
  default     = 100
}

variable "msk_enhanced_monitoring" {
  description = "MSK enhanced monitoring level (DEFAULT, PER_BROKER, PER_TOPIC_PER_BROKER, PER_TOPIC_PER_PARTITION). The lag alarm and the processor lag scaling read SumOffsetLag per consumer group and topic; PER_TOPIC_PER_PARTITION also publishes per-partition OffsetLag."
  type        = string
  default     = "PER_TOPIC_PER_PARTITION"
}

variable "kafka_replication_factor" {
  description = "Replication factor of the topics (<= msk_broker_count)."
  type        = number
  default     = 2
}

variable "kafka_min_insync_replicas" {
  description = "min.insync.replicas (< kafka_replication_factor so one broker can be down)."
  type        = number
  default     = 1
}

variable "kafka_log_retention_hours" {
  description = "How long records stay on the topics."
  type        = number
  default     = 168
}

variable "topic_events" {
  description = "TOPIC_EVENTS."
  type        = string
  default     = "contact-events"
}

variable "topic_results" {
  description = "TOPIC_RESULTS."
  type        = string
  default     = "contact-results"
}

variable "topic_dlq" {
  description = "TOPIC_DLQ."
  type        = string
  default     = "contact-events-dlq"
}

variable "topic_events_partitions" {
  description = "Partitions of the events topic (also the cap on processor tasks)."
  type        = number
  default     = 12
}

variable "topic_results_partitions" {
  description = "Partitions of the results topic."
  type        = number
  default     = 12
}

variable "topic_dlq_partitions" {
  description = "Partitions of the dead-letter topic."
  type        = number
  default     = 3
}

# --- alarms -----------------------------------------------------------------------------------
variable "alarm_email" {
  description = "E-mail subscribed to a new SNS topic for the alarms (empty: no topic)."
  type        = string
  default     = ""
}

variable "alarm_sns_topic_arn" {
  description = "Existing SNS topic for the alarms (empty: none)."
  type        = string
  default     = ""
}

variable "consumer_lag_alarm_threshold" {
  description = "SumOffsetLag of the processor group above which the lag alarm fires."
  type        = number
  default     = 5000
}

variable "dead_letter_alarm_threshold" {
  description = "Dead-lettered records in 5 minutes above which the alarm fires."
  type        = number
  default     = 10
}
