"""The only layer that imports livekit: agent, worker, console, plugins, tools."""
