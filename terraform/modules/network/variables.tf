variable "name" {
  description = "Name prefix of every resource, e.g. staging-orchestrator."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC."
  type        = string
}

variable "az_count" {
  description = "Number of availability zones (2 or 3)."
  type        = number

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 3
    error_message = "az_count must be 2 or 3 (MSK needs 2 or 3 zones)."
  }
}

variable "subnet_newbits" {
  description = "Bits added to the VPC prefix for each subnet (8 turns a /16 into /24 subnets)."
  type        = number
  default     = 8
}

variable "single_nat_gateway" {
  description = "true: one NAT gateway shared by all zones (cheaper); false: one per zone (survives the loss of a zone)."
  type        = bool
}
