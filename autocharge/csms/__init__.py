"""Our OCPP side: WebSocket transport, dispatcher, one handler module per protocol version."""
