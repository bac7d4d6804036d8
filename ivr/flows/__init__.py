"""The flow declarations of flows/: loaded, typed, and the names of the behaviour they may use."""
