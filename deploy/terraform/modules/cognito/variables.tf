variable "name_prefix" {
  description = "Prefix of every name."
  type        = string
}

variable "deletion_protection" {
  description = "Protect the user pool from deletion."
  type        = bool
}
