"""Who may do what where: NOC users, roles and region scopes, the audit trail, the credentials
vault and the permission audit. Kernel code: it imports nothing above ``core``."""
