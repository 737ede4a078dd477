"""OCPP-J on the wire, shared by the back office (csms) and the simulator: frames and payloads (codec) and the JSON
schemas that check them (schemas). It imports neither side, so both can use it."""
