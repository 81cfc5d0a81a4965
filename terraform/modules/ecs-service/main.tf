# ecs-service: one Fargate service behind an ALB target group: its task definition (one
# container, awslogs, container health check, read-only root file system), the service
# (capacity provider strategy, deployment circuit breaker with rollback) and its auto
# scaling (target tracking on CPU and memory, optionally on ALB requests per target and on
# Kafka consumer lag per task). Used twice by the root module: ingress and processor.

locals {
  environment = [for k in sort(keys(var.environment)) : { name = k, value = var.environment[k] }]
  secrets     = [for k in sort(keys(var.secrets)) : { name = k, valueFrom = var.secrets[k] }]

  container = {
    name      = var.container_name
    image     = var.image
    essential = true
    user      = "10001:10001"
    # ECS Exec needs a writable root file system for its agent.
    readonlyRootFilesystem = !var.enable_execute_command
    stopTimeout            = var.stop_timeout

    portMappings = [{
      name          = var.container_name
      containerPort = var.container_port
      hostPort      = var.container_port
      protocol      = "tcp"
    }]

    environment = local.environment
    secrets     = local.secrets

    mountPoints = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]

    ulimits = [{ name = "nofile", softLimit = 65536, hardLimit = 65536 }]

    healthCheck = {
      command     = concat(["CMD"], var.health_check_command)
      interval    = 15
      timeout     = 5
      retries     = 3
      startPeriod = var.health_check_start_period
    }

    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = var.log_group_name
        awslogs-region        = var.aws_region
        awslogs-stream-prefix = var.log_stream_prefix
        mode                  = "non-blocking"
        max-buffer-size       = "25m"
      }
    }
  }

  repository_credentials = var.repository_credentials_secret_arn == "" ? {} : {
    repositoryCredentials = { credentialsParameter = var.repository_credentials_secret_arn }
  }
}

resource "aws_ecs_task_definition" "this" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.cpu)
  memory                   = tostring(var.memory)
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = var.task_role_arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([merge(local.container, local.repository_credentials)])
}

resource "aws_ecs_service" "this" {
  name                    = var.name
  cluster                 = var.cluster_arn
  task_definition         = aws_ecs_task_definition.this.arn
  desired_count           = var.min_count
  enable_execute_command  = var.enable_execute_command
  propagate_tags          = "SERVICE"
  enable_ecs_managed_tags = true

  health_check_grace_period_seconds  = var.health_check_grace_period
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  dynamic "capacity_provider_strategy" {
    for_each = var.capacity_provider_strategy
    content {
      capacity_provider = capacity_provider_strategy.value.capacity_provider
      weight            = capacity_provider_strategy.value.weight
      base              = capacity_provider_strategy.value.base
    }
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = var.security_group_ids
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = var.target_group_arn
    container_name   = var.container_name
    container_port   = var.container_port
  }

  # Auto scaling owns the running count; Terraform sets only the initial one.
  lifecycle {
    ignore_changes = [desired_count]
  }
}

# --- auto scaling ---------------------------------------------------------------------------
resource "aws_appautoscaling_target" "this" {
  service_namespace  = "ecs"
  resource_id        = "service/${var.cluster_name}/${aws_ecs_service.this.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.min_count
  max_capacity       = var.max_count
}

resource "aws_appautoscaling_policy" "cpu" {
  name               = "${var.name}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  resource_id        = aws_appautoscaling_target.this.resource_id
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target
    scale_in_cooldown  = var.scale_in_cooldown
    scale_out_cooldown = var.scale_out_cooldown

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "memory" {
  name               = "${var.name}-memory"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  resource_id        = aws_appautoscaling_target.this.resource_id
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.memory_target
    scale_in_cooldown  = var.scale_in_cooldown
    scale_out_cooldown = var.scale_out_cooldown

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageMemoryUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "requests" {
  count = var.requests_per_target > 0 ? 1 : 0

  name               = "${var.name}-requests"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  resource_id        = aws_appautoscaling_target.this.resource_id
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.requests_per_target
    scale_in_cooldown  = var.scale_in_cooldown
    scale_out_cooldown = var.scale_out_cooldown

    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = var.alb_resource_label
    }
  }
}

# Consumer lag per running task: SumOffsetLag of the consumer group on the events topic
# (AWS/Kafka, published by MSK) divided by the service's running task count (Container
# Insights). Target tracking adds tasks while each one has more than lag_per_task records
# waiting, up to max_count (capped by the caller at the partition count).
resource "aws_appautoscaling_policy" "lag" {
  count = var.lag_scaling == null ? 0 : 1

  name               = "${var.name}-consumer-lag"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  resource_id        = aws_appautoscaling_target.this.resource_id
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.lag_scaling.lag_per_task
    scale_in_cooldown  = var.scale_in_cooldown
    scale_out_cooldown = var.scale_out_cooldown

    customized_metric_specification {
      metrics {
        id          = "lag"
        label       = "SumOffsetLag of ${var.lag_scaling.consumer_group} on ${var.lag_scaling.topic}"
        return_data = false

        metric_stat {
          stat = "Maximum"

          metric {
            namespace   = "AWS/Kafka"
            metric_name = "SumOffsetLag"

            dimensions {
              name  = "Cluster Name"
              value = var.lag_scaling.msk_cluster_name
            }
            dimensions {
              name  = "Consumer Group"
              value = var.lag_scaling.consumer_group
            }
            dimensions {
              name  = "Topic"
              value = var.lag_scaling.topic
            }
          }
        }
      }

      metrics {
        id          = "tasks"
        label       = "Running tasks of ${var.name}"
        return_data = false

        metric_stat {
          stat = "Average"

          metric {
            namespace   = "ECS/ContainerInsights"
            metric_name = "RunningTaskCount"

            dimensions {
              name  = "ClusterName"
              value = var.cluster_name
            }
            dimensions {
              name  = "ServiceName"
              value = aws_ecs_service.this.name
            }
          }
        }
      }

      metrics {
        id          = "lag_per_task"
        label       = "Consumer lag per running task"
        expression  = "lag / MAX([tasks, 1])"
        return_data = true
      }
    }
  }
}
