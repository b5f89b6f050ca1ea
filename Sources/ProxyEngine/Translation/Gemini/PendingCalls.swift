/// The function calls of a Gemini conversation not yet answered: a `functionResponse` names its
/// call by `id` when it has one, else by the function's name (the oldest such call). Each step
/// is O(1) amortised, so a conversation of n calls is read in linear time.
struct PendingCalls {
    private var open: Set<String> = []
    private var byName: [String: (ids: [String], next: Int)] = [:]

    mutating func add(id: String, name: String) {
        self.open.insert(id)
        self.byName[name, default: ([], 0)].ids.append(id)
    }

    /// The id of the call a response answers (`given` if it names an open call, else the oldest
    /// open call of `name`), now closed; `given` (or nil) when none is open.
    mutating func answer(id given: String?, name: String) -> String? {
        if let given, self.open.remove(given) != nil { return given }
        guard var queue = self.byName[name] else { return given }
        defer { self.byName[name] = queue }
        while queue.next < queue.ids.count {
            let id = queue.ids[queue.next]
            queue.next += 1
            if self.open.remove(id) != nil { return id }
        }
        return given
    }
}
