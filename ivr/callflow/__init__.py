"""Calls through the flows: the call service, the engine, the TwiML writer, the actions and the checks."""
