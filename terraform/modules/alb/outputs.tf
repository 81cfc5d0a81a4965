output "alb_arn" {
  description = "ARN of the ALB."
  value       = aws_lb.this.arn
}

output "alb_arn_suffix" {
  description = "ARN suffix of the ALB (the LoadBalancer dimension of AWS/ApplicationELB metrics)."
  value       = aws_lb.this.arn_suffix
}

output "alb_dns_name" {
  description = "DNS name of the ALB."
  value       = aws_lb.this.dns_name
}

output "alb_zone_id" {
  description = "Route 53 zone ID of the ALB (for an alias record)."
  value       = aws_lb.this.zone_id
}

output "security_group_id" {
  description = "Security group of the ALB."
  value       = aws_security_group.alb.id
}

output "ingress_target_group_arn" {
  description = "Target group of the ingress service."
  value       = aws_lb_target_group.ingress.arn
}

output "ingress_target_group_arn_suffix" {
  description = "ARN suffix of the ingress target group (TargetGroup metric dimension)."
  value       = aws_lb_target_group.ingress.arn_suffix
}

output "processor_target_group_arn" {
  description = "Target group of the processor service."
  value       = aws_lb_target_group.processor.arn
}

output "processor_target_group_arn_suffix" {
  description = "ARN suffix of the processor target group (TargetGroup metric dimension)."
  value       = aws_lb_target_group.processor.arn_suffix
}

output "https_enabled" {
  description = "Whether the HTTPS listener exists."
  value       = local.https
}

output "serving_listener_arn" {
  description = "The listener that serves the API (HTTPS when enabled, else HTTP)."
  value       = local.serving_listener_arn
}

output "health_check_paths" {
  description = "Health check path of each target group."
  value = {
    ingress   = aws_lb_target_group.ingress.health_check[0].path
    processor = aws_lb_target_group.processor.health_check[0].path
  }
}

output "processor_path_patterns" {
  description = "Paths the ALB forwards to the processor."
  value       = one(aws_lb_listener_rule.processor.condition).path_pattern[0].values
}
