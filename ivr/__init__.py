"""The CNSS registration voice server: `ivr.factory.create_app` builds it; importing `ivr` builds nothing."""
