"""The bus: NATS JetStream connection, streams and subjects, message schemas, shared KV state."""
