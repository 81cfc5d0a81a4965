variable "name" {
  description = "Name prefix of the alarms, e.g. staging-orchestrator."
  type        = string
}

variable "environment" {
  description = "Environment name (staging, production)."
  type        = string
}

variable "aws_region" {
  description = "Region of the dashboard widgets."
  type        = string
}

variable "log_group_name" {
  description = "Log group of the services (the dead-letter metric filter reads it)."
  type        = string
}

variable "ecs_cluster_name" {
  description = "ECS cluster name."
  type        = string
}

variable "services" {
  description = "Services to watch, keyed by short name (ingress, processor)."
  type = map(object({
    service_name            = string
    target_group_arn_suffix = string
  }))
}

variable "alb_arn_suffix" {
  description = "ARN suffix of the ALB."
  type        = string
}

variable "msk_cluster_name" {
  description = "MSK cluster name."
  type        = string
}

variable "msk_broker_count" {
  description = "Number of MSK brokers (one disk alarm each)."
  type        = number
}

variable "consumer_group" {
  description = "Consumer group of the processor."
  type        = string
}

variable "events_topic" {
  description = "Topic the processor consumes."
  type        = string
}

variable "alarm_email" {
  description = "E-mail address subscribed to a new SNS alarm topic (empty: no topic is created)."
  type        = string
  default     = ""
}

variable "alarm_sns_topic_arn" {
  description = "Existing SNS topic for alarm notifications (empty: none)."
  type        = string
  default     = ""
}

variable "cpu_threshold" {
  description = "CPU alarm threshold (%)."
  type        = number
  default     = 85
}

variable "memory_threshold" {
  description = "Memory alarm threshold (%)."
  type        = number
  default     = 85
}

variable "http_5xx_threshold" {
  description = "5xx answers in 5 minutes above which the alarm fires."
  type        = number
  default     = 10
}

variable "response_time_threshold" {
  description = "Average target response time (seconds) above which the alarm fires."
  type        = number
  default     = 5
}

variable "consumer_lag_threshold" {
  description = "SumOffsetLag above which the consumer-lag alarm fires."
  type        = number
}

variable "dead_letter_threshold" {
  description = "Dead-lettered records in 5 minutes above which the alarm fires."
  type        = number
}

variable "broker_disk_threshold" {
  description = "Broker data disk use (%) above which the alarm fires."
  type        = number
  default     = 80
}
