/// Google's canonical error status names (`google.rpc.Code`) for the HTTP statuses the gateway
/// answers with: the `status` of a Gemini error body.
public enum GeminiStatus {
    public static func name(of status: Int) -> String {
        switch status {
        case 400, 413: "INVALID_ARGUMENT"
        case 401: "UNAUTHENTICATED"
        case 402, 429: "RESOURCE_EXHAUSTED"
        case 403: "PERMISSION_DENIED"
        case 404: "NOT_FOUND"
        case 408, 504: "DEADLINE_EXCEEDED"
        case 409: "ABORTED"
        case 499: "CANCELLED"
        case 501: "UNIMPLEMENTED"
        case 502, 503: "UNAVAILABLE"
        default: status < 500 ? "FAILED_PRECONDITION" : "INTERNAL"
        }
    }
}
