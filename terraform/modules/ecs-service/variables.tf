variable "name" {
  description = "Service name and task definition family, e.g. staging-orchestrator-ingress."
  type        = string
}

variable "container_name" {
  description = "Name of the container (ingress or processor)."
  type        = string
}

variable "image" {
  description = "Container image reference (tag or digest)."
  type        = string
}

variable "container_port" {
  description = "Port the container listens on (health, API or admin)."
  type        = number
}

variable "cpu" {
  description = "Task CPU units (256, 512, 1024, 2048, 4096)."
  type        = number
}

variable "memory" {
  description = "Task memory in MiB (valid for the chosen cpu)."
  type        = number
}

variable "cpu_architecture" {
  description = "X86_64 or ARM64 (the images must be built for it)."
  type        = string
  default     = "X86_64"
}

variable "environment" {
  description = "Plain environment variables of the container."
  type        = map(string)
  default     = {}
}

variable "secrets" {
  description = "Environment variables injected from Secrets Manager: NAME => valueFrom (secret ARN, optionally :json-key::)."
  type        = map(string)
  default     = {}
}

variable "health_check_command" {
  description = "Container health check command (exec form, without the leading CMD)."
  type        = list(string)
}

variable "health_check_start_period" {
  description = "Seconds before container health check failures count."
  type        = number
  default     = 20
}

variable "health_check_grace_period" {
  description = "Seconds the service ignores ALB health checks after a task starts."
  type        = number
  default     = 30
}

variable "stop_timeout" {
  description = "Seconds between SIGTERM and SIGKILL when a task stops (Fargate: at most 120)."
  type        = number
  default     = 30
}

variable "execution_role_arn" {
  description = "Task execution role (pulls the image, reads the secrets, writes logs)."
  type        = string
}

variable "task_role_arn" {
  description = "Task role (the application's own AWS permissions)."
  type        = string
}

variable "repository_credentials_secret_arn" {
  description = "Secret with registry credentials ({\"username\",\"password\"}) for a private image; empty for a public one."
  type        = string
  default     = ""
}

variable "log_group_name" {
  description = "CloudWatch log group of the container."
  type        = string
}

variable "log_stream_prefix" {
  description = "awslogs stream prefix (streams are PREFIX/CONTAINER/TASK_ID)."
  type        = string
}

variable "aws_region" {
  description = "Region of the log group."
  type        = string
}

variable "cluster_arn" {
  description = "ECS cluster ARN."
  type        = string
}

variable "cluster_name" {
  description = "ECS cluster name."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the tasks."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups of the tasks."
  type        = list(string)
}

variable "target_group_arn" {
  description = "ALB target group of the service."
  type        = string
}

variable "capacity_provider_strategy" {
  description = "Capacity provider strategy (FARGATE / FARGATE_SPOT with weights and base)."
  type = list(object({
    capacity_provider = string
    weight            = number
    base              = number
  }))
}

variable "enable_execute_command" {
  description = "Allow ECS Exec into the tasks."
  type        = bool
  default     = false
}

variable "min_count" {
  description = "Minimum (and initial) number of tasks."
  type        = number
}

variable "max_count" {
  description = "Maximum number of tasks."
  type        = number
}

variable "cpu_target" {
  description = "Target average CPU utilisation (%)."
  type        = number
  default     = 70
}

variable "memory_target" {
  description = "Target average memory utilisation (%)."
  type        = number
  default     = 75
}

variable "scale_in_cooldown" {
  description = "Seconds after a scale-in before the next one."
  type        = number
  default     = 300
}

variable "scale_out_cooldown" {
  description = "Seconds after a scale-out before the next one."
  type        = number
  default     = 60
}

variable "requests_per_target" {
  description = "Target ALB requests per task per minute (0 disables request-count scaling)."
  type        = number
  default     = 0
}

variable "alb_resource_label" {
  description = "app/<alb>/<id>/targetgroup/<tg>/<id>, needed when requests_per_target > 0."
  type        = string
  default     = ""
}

variable "lag_scaling" {
  description = "Consumer-lag target tracking (null disables it)."
  type = object({
    msk_cluster_name = string
    consumer_group   = string
    topic            = string
    lag_per_task     = number
  })
  default = null
}
