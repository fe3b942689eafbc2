"""The interview file to a CompiledInterview: load, check, compile. No livekit."""
