/// An RFC 6455 WebSocket client. (Being written; see issue 16.)
public enum WebSocket {}
