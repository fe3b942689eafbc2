"""Session files and what is built from them. No livekit."""
