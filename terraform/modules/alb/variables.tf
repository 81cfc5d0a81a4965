variable "name" {
  description = "Name prefix (at most 22 characters: target group names are limited to 32)."
  type        = string

  validation {
    condition     = length(var.name) <= 22
    error_message = "name must be at most 22 characters (ALB and target group names are limited to 32)."
  }
}

variable "vpc_id" {
  description = "VPC of the ALB and the target groups."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets of the ALB (one per zone)."
  type        = list(string)
}

variable "allowed_cidrs" {
  description = "IPv4 CIDR blocks allowed to reach the ALB on 80/443."
  type        = list(string)
}

variable "certificate_arn" {
  description = "ACM certificate ARN for the HTTPS listener; empty for HTTP only."
  type        = string
  default     = ""
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

variable "idle_timeout" {
  description = "ALB idle timeout in seconds (the SSE stream sends keep-alive comments more often than this)."
  type        = number
  default     = 120
}

variable "deletion_protection" {
  description = "Protect the ALB from deletion."
  type        = bool
  default     = false
}

variable "deregistration_delay" {
  description = "Seconds the target groups keep draining a deregistered task."
  type        = number
  default     = 30
}

variable "ingress_port" {
  description = "Container port of ccai-ingress (PORT)."
  type        = number
}

variable "processor_port" {
  description = "Container port of the ccai-processor admin API (PROCESSOR_PORT)."
  type        = number
}

variable "expose_metrics" {
  description = "Serve /metrics through the ALB (false answers 404 there; scrape the tasks instead)."
  type        = bool
  default     = false
}
