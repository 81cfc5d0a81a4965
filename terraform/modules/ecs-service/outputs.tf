output "service_name" {
  description = "ECS service name."
  value       = aws_ecs_service.this.name
}

output "service_id" {
  description = "ECS service ARN."
  value       = aws_ecs_service.this.id
}

output "task_definition_arn" {
  description = "ARN (with revision) of the task definition this apply registered."
  value       = aws_ecs_task_definition.this.arn
}

output "task_definition_family" {
  description = "Task definition family."
  value       = aws_ecs_task_definition.this.family
}

output "autoscaling_resource_id" {
  description = "Application Auto Scaling resource ID of the service."
  value       = aws_appautoscaling_target.this.resource_id
}

output "container_definition" {
  description = "The container definition (environment, secret references, health check, logging) as an object."
  value       = local.container
}
