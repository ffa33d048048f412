"""Platform adapters: read an account's recent public posts from a platform's public web view."""
