variable "name" {
  description = "Cluster name and name prefix, e.g. staging-orchestrator."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the brokers."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the brokers, one per zone."
  type        = list(string)
}

variable "client_security_group_ids" {
  description = "Security groups allowed to reach the brokers on 9096, keyed by a label."
  type        = map(string)
}

variable "kafka_version" {
  description = "Apache Kafka version of the cluster, as MSK names it (e.g. 3.6.0, 3.7.x)."
  type        = string
}

variable "broker_count" {
  description = "Number of broker nodes (a multiple of the number of subnets)."
  type        = number
}

variable "instance_type" {
  description = "Broker instance type, e.g. kafka.t3.small or kafka.m7g.large."
  type        = string
}

variable "ebs_volume_size" {
  description = "EBS storage per broker in GiB."
  type        = number
}

variable "replication_factor" {
  description = "default.replication.factor (and the replication of the application topics)."
  type        = number
}

variable "min_insync_replicas" {
  description = "min.insync.replicas."
  type        = number
}

variable "default_partitions" {
  description = "num.partitions for topics created without a count."
  type        = number
  default     = 12
}

variable "log_retention_hours" {
  description = "log.retention.hours of the brokers (how long records stay on the topics)."
  type        = number
  default     = 168
}

variable "enhanced_monitoring" {
  description = "MSK enhanced monitoring level: DEFAULT, PER_BROKER, PER_TOPIC_PER_BROKER or PER_TOPIC_PER_PARTITION."
  type        = string
  default     = "PER_TOPIC_PER_PARTITION"
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for encryption at rest and for the SCRAM secret."
  type        = string
}

variable "scram_username" {
  description = "SASL/SCRAM user name of the services."
  type        = string
  default     = "ccai"
}

variable "secret_recovery_window_days" {
  description = "Recovery window of the SCRAM secret when it is deleted (0 deletes at once)."
  type        = number
  default     = 7
}

variable "log_retention_days" {
  description = "Retention of the broker log group."
  type        = number
  default     = 30
}
