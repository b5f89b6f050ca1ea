import HTTPTypes
import Hummingbird
import NIOCore
import ProxyEngine

/// `GET /v1/responses/{id}` and `DELETE /v1/responses/{id}`: a response the gateway stored for
/// the caller's own user. Anyone else's id is not found, as an unknown one is.
struct StoredResponseRoute: Sendable {
    let gateway: Gateway

    func get(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        await self.answer(request, context: context) { id, user throws(GatewayError) in
            guard let response = try await self.lookUp(id: id, user: user)?.response else { throw .notFound(Self.notFound(id)) }
            return response.encoded
        }
    }

    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        await self.answer(request, context: context) { id, user throws(GatewayError) in
            let deleted: Bool
            do {
                deleted = try await self.gateway.store.deleteStoredResponse(id: id, user: user)
            } catch {
                throw .storeUnavailable("The state store is unreachable; try again shortly.")
            }
            guard deleted else { throw .notFound(Self.notFound(id)) }
            return JSONValue.object(["id": .string(id), "object": .string("response"), "deleted": .bool(true)]).encoded
        }
    }

    private func answer(
        _ request: Request, context: GatewayRequestContext,
        _ body: (_ id: String, _ user: String) async throws(GatewayError) -> ByteBuffer
    ) async -> Response {
        do {
            let principal = try await self.gateway.authenticator.authenticate(request.headers, now: self.gateway.now())
            guard let id = context.parameters.get("id"), !id.isEmpty else { throw GatewayError.badRequest("A response id is required.") }
            let json = try await body(id, principal.user)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: json))
        } catch let error as GatewayError {
            return .error(error, format: .responses)
        } catch {
            return .error(.internalError("The request failed."), format: .responses)
        }
    }

    private func lookUp(id: String, user: String) async throws(GatewayError) -> StoredResponse? {
        do {
            return try await self.gateway.store.storedResponse(id: id, user: user, now: self.gateway.now())
        } catch {
            throw .storeUnavailable("The state store is unreachable; try again shortly.")
        }
    }

    private static func notFound(_ id: String) -> String { "No response with id '\(UsageRecord.capped(id))' found." }
}
