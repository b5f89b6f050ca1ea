/// The dashboard's files, compiled into the binary so that a deployment is one executable.
enum DashboardAssets {}

extension DashboardAssets {
    /// Every value from the API goes into the page as text (`textContent`), never as markup.
    static let script = #"""
        "use strict";
        (function () {
          const byId = (id) => document.getElementById(id);
          const keyStore = "proxy-dashboard-admin-key";
          let refreshTimer = null;
          let knownUsers = [];

          function adminKey() { return sessionStorage.getItem(keyStore); }

          class APIError extends Error {
            constructor(status, message) { super(message); this.status = status; }
          }

          // Thrown when the key is gone (signed out, or the storage cleared) while a refresh was
          // under way: its remaining requests are not sent, since each one would be a wrong key
          // that counts towards the gateway's lock-out of this address.
          class SignedOut extends Error {}

          async function api(method, path, body) {
            const key = adminKey();
            if (!key) throw new SignedOut();
            const headers = { "authorization": "Bearer " + key };
            if (body !== undefined) headers["content-type"] = "application/json";
            let response;
            try {
              response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store" });
            } catch (error) {
              throw new APIError(0, "The gateway cannot be reached.");
            }
            let payload = null;
            try { payload = await response.json(); } catch (error) { payload = null; }
            if (!response.ok) {
              const message = payload && payload.error && payload.error.message ? payload.error.message : "HTTP " + response.status;
              throw new APIError(response.status, message);
            }
            return payload;
          }

          function el(tag, text, className) {
            const node = document.createElement(tag);
            if (text !== undefined && text !== null) node.textContent = String(text);
            if (className) node.className = className;
            return node;
          }

          function button(text, className, testId, onClick) {
            const node = el("button", text, className);
            node.type = "button";
            if (testId) node.dataset.testid = testId;
            node.addEventListener("click", onClick);
            return node;
          }

          // What each table shows now: a refresh that brings the same data leaves the rows (and
          // the button under the pointer) alone.
          const rendered = new Map();
          function fill(tableId, data, makeRows) {
            const signature = JSON.stringify(data);
            if (rendered.get(tableId) === signature) return;
            rendered.set(tableId, signature);
            byId(tableId).tBodies[0].replaceChildren(...makeRows(data));
          }

          const number = (value) => Number(value).toLocaleString("en-US");
          const time = (unix) => unix ? new Date(unix * 1000).toLocaleString() : "never";

          function usageCell(used, limit) {
            const cell = el("td");
            if (limit > 0) {
              const bar = el("span", null, "bar" + (used >= limit ? " full" : ""));
              const inner = el("span");
              inner.style.width = Math.min(100, (used / limit) * 100).toFixed(1) + "%";
              bar.appendChild(inner);
              cell.appendChild(bar);
              cell.appendChild(document.createTextNode(number(used) + " / " + number(limit)));
            } else {
              cell.textContent = number(used) + " (no limit)";
            }
            return cell;
          }

          function showAPIError(error) {
            // Once: an overlapping refresh's 401 may have signed out already, saying why.
            if (error instanceof SignedOut) { if (!byId("app").hidden) signOut(); return; }
            if (error.status === 401 || error.status === 403 || error.status === 429) {
              signOut("The admin key was refused: " + error.message);
              return;
            }
            const banner = byId("api-error");
            banner.textContent = "The gateway answered with an error: " + error.message;
            banner.hidden = false;
          }

          async function refreshOverview() {
            const overview = await api("GET", "/admin/overview");
            byId("in-flight").textContent = number(overview.in_flight);
            const store = byId("store-state");
            store.textContent = overview.store;
            store.className = overview.store === "up" ? "state-ok" : "state-bad";
            for (const period of ["today", "month"]) {
              const figures = overview[period] || { requests: "–", tokens: "–", errors: "–" };
              byId(period + "-requests").textContent = number(figures.requests);
              byId(period + "-tokens").textContent = number(figures.tokens);
              byId(period + "-errors").textContent = number(figures.errors);
              byId(period + "-cost").textContent = figures.cost_usd === undefined ? "–" : dollars(figures.cost_usd);
            }
          }

          // Dollars as the API gives them (a string of six decimals), shown to the cent or, below
          // a cent, to the micro-dollar.
          function dollars(text) {
            const value = Number(text);
            return "$" + (value !== 0 && Math.abs(value) < 0.01 ? value.toFixed(6) : value.toFixed(2));
          }

          async function refreshSpend() {
            const spend = await api("GET", "/admin/spend");
            const rows = [];
            for (const [dimension, label] of [["users", "user"], ["keys", "key"], ["models", "model"]]) {
              for (const share of spend[dimension]) rows.push({ dimension: label, ...share });
            }
            fill("spend-table", rows, (rows) => rows.map((share) => {
              const row = el("tr");
              row.dataset.dimension = share.dimension;
              row.dataset.name = share.name;
              row.appendChild(el("td", share.dimension));
              row.appendChild(el("td", share.name));
              row.appendChild(el("td", number(share.requests)));
              row.appendChild(el("td", number(share.tokens)));
              const unpriced = share.unpriced_requests > 0;
              const cost = el("td", dollars(share.cost_usd) + (unpriced ? " (" + number(share.unpriced_requests) + " unpriced)" : ""), unpriced ? "state-warn" : null);
              cost.dataset.cost = share.cost_usd;
              row.appendChild(cost);
              return row;
            }));
          }

          // The door names the API a request came through: Chat Completions, Messages or Responses.
          const doors = { chat: "Chat Completions", messages: "Messages", responses: "Responses" };

          async function refreshRequests() {
            const records = (await api("GET", "/admin/usage?limit=20")).data;
            fill("requests-table", records, (records) => records.map((record) => {
              const row = el("tr");
              row.dataset.door = record.door;
              row.appendChild(el("td", time(record.at)));
              row.appendChild(el("td", record.user));
              row.appendChild(el("td", record.key_id || "–"));
              row.appendChild(el("td", doors[record.door] || record.door));
              row.appendChild(el("td", record.model));
              row.appendChild(el("td", record.provider));
              row.appendChild(el("td", String(record.status), record.status >= 400 ? "state-warn" : "state-ok"));
              row.appendChild(el("td", number(record.prompt_tokens + record.completion_tokens)));
              const cost = el("td", record.priced ? dollars(record.cost_usd) : "unpriced", record.priced ? null : "state-warn");
              cost.dataset.cost = record.cost_usd;
              row.appendChild(cost);
              row.appendChild(el("td", Math.round(record.latency_ms) + " ms"));
              return row;
            }));
          }

          async function refreshUsers() {
            const users = (await api("GET", "/admin/users")).data;
            knownUsers = users.map((user) => user.username);
            fill("users-table", users, (users) => users.map((user) => {
              const row = el("tr");
              row.dataset.user = user.username;
              row.appendChild(el("td", user.username + (user.disabled ? " (disabled)" : "")));
              row.appendChild(el("td", user.tier));
              row.appendChild(usageCell(user.requests, user.monthly_requests));
              row.appendChild(usageCell(user.tokens, user.monthly_tokens));
              const budget = Number(user.monthly_usd);
              const spent = el("td", dollars(user.spent_usd) + (budget > 0 ? " of " + dollars(user.monthly_usd) : ""));
              spent.dataset.spent = user.spent_usd;
              row.appendChild(spent);
              return row;
            }));
            for (const id of ["new-key-user", "filter-user"]) {
              const select = byId(id);
              const chosen = select.value;
              const options = users.map((user) => { const option = el("option", user.username); option.value = user.username; return option; });
              if (id === "filter-user") { const all = el("option", "all"); all.value = ""; options.unshift(all); }
              select.replaceChildren(...options);
              if ([...select.options].some((option) => option.value === chosen)) select.value = chosen;
            }
          }

          async function refreshKeys() {
            const keys = (await api("GET", "/admin/keys")).data;
            fill("keys-table", keys, (keys) => keys.map((key) => {
              const row = el("tr");
              row.dataset.keyId = key.id;
              row.appendChild(el("td", key.name));
              row.appendChild(el("td", key.user));
              row.appendChild(el("td", key.prefix + "…"));
              row.appendChild(el("td", key.models.length ? key.models.join(", ") : "all"));
              const limits = [];
              if (key.monthly_requests !== null) limits.push(number(key.monthly_requests) + " req/month");
              if (key.monthly_tokens !== null) limits.push(number(key.monthly_tokens) + " tokens/month");
              if (key.monthly_usd !== null) limits.push(dollars(key.monthly_usd) + "/month");
              row.appendChild(el("td", limits.length ? limits.join(", ") : "the user's tier"));
              row.appendChild(el("td", time(key.last_used_at)));
              row.appendChild(el("td", key.disabled ? "disabled" : "active", key.disabled ? "state-warn" : "state-ok"));
              const actions = el("td", null, "actions");
              actions.appendChild(button(key.disabled ? "Enable" : "Disable", "secondary", null, () =>
                act(() => api("PATCH", "/admin/keys/" + encodeURIComponent(key.id), { disabled: !key.disabled }))));
              actions.appendChild(button("Revoke", "danger", "revoke", () =>
                act(() => api("DELETE", "/admin/keys/" + encodeURIComponent(key.id)))));
              row.appendChild(actions);
              return row;
            }));
            const select = byId("filter-key");
            const chosen = select.value;
            const all = el("option", "all");
            all.value = "";
            select.replaceChildren(all, ...keys.map((key) => { const option = el("option", key.name + " (" + key.prefix + "…)"); option.value = key.id; return option; }));
            if ([...select.options].some((option) => option.value === chosen)) select.value = chosen;
          }

          function accountState(account) {
            if (account.healthy) return ["healthy", "state-ok"];
            const until = account.until ? " until " + new Date(account.until * 1000).toLocaleTimeString() : "";
            switch (account.reason) {
              case "rate limited": return ["cooling down" + until, "state-warn"];
              case "circuit open": return ["breaker open" + until, "state-bad"];
              case "half-open": return ["breaker half-open (probing)", "state-warn"];
              case "refused (401/403)": return ["refused (401/403): needs an operator", "state-bad"];
              default: return [account.reason || "out of rotation", "state-bad"];
            }
          }

          async function refreshAccounts() {
            const accounts = (await api("GET", "/admin/accounts")).data;
            fill("accounts-table", accounts, (accounts) => accounts.map((account) => {
              const row = el("tr");
              row.dataset.account = account.provider + "/" + account.account;
              row.appendChild(el("td", account.provider));
              row.appendChild(el("td", account.account));
              const [state, className] = accountState(account);
              const stateCell = el("td", state, className);
              stateCell.dataset.state = account.healthy ? "healthy" : (account.reason === "rate limited" ? "cooling-down" : "out");
              row.appendChild(stateCell);
              row.appendChild(el("td", (account.health * 100).toFixed(0) + "%"));
              row.appendChild(el("td", number(account.in_flight)));
              const actions = el("td", null, "actions");
              if (!account.healthy) {
                actions.appendChild(button("Re-enable", "secondary", null, () =>
                  act(() => api("POST", "/admin/accounts/" + encodeURIComponent(account.provider) + "/" + encodeURIComponent(account.account) + "/enable"))));
              }
              row.appendChild(actions);
              return row;
            }));
          }

          const svgNS = "http://www.w3.org/2000/svg";
          function svg(tag, attributes, text) {
            const node = document.createElementNS(svgNS, tag);
            for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
            if (text !== undefined) node.textContent = text;
            return node;
          }

          async function refreshChart() {
            const params = new URLSearchParams({ bucket: byId("bucket").value });
            if (byId("filter-user").value) params.set("user", byId("filter-user").value);
            if (byId("filter-key").value) params.set("key", byId("filter-key").value);
            if (byId("filter-model").value.trim()) params.set("model", byId("filter-model").value.trim());
            const series = await api("GET", "/admin/usage/series?" + params.toString());
            const chart = byId("usage-chart");
            const width = 720, height = 220, left = 44, right = 44, top = 10, bottom = 28;
            const count = Math.max(1, Math.ceil((series.until - series.since) / series.bucket_seconds));
            const byStart = new Map(series.data.map((bucket) => [bucket.start, bucket]));
            const buckets = [];
            for (let index = 0; index < count; index += 1) {
              const start = series.since + index * series.bucket_seconds;
              buckets.push(byStart.get(start) || { start, requests: 0, tokens: 0, errors: 0 });
            }
            const maxRequests = Math.max(1, ...buckets.map((bucket) => bucket.requests));
            const maxTokens = Math.max(1, ...buckets.map((bucket) => bucket.tokens));
            const plotWidth = width - left - right, plotHeight = height - top - bottom;
            const slot = plotWidth / count;
            const nodes = [
              svg("line", { x1: left, y1: top + plotHeight, x2: width - right, y2: top + plotHeight, class: "axis" }),
              svg("text", { x: 4, y: top + 8 }, number(maxRequests) + " req"),
              svg("text", { x: width - right + 4, y: top + 8 }, number(maxTokens) + " tok"),
            ];
            const points = [];
            buckets.forEach((bucket, index) => {
              const x = left + index * slot;
              const barHeight = (bucket.requests / maxRequests) * plotHeight;
              if (bucket.requests > 0) {
                const bar = svg("rect", { x: x + 1, y: top + plotHeight - barHeight, width: Math.max(1, slot - 2), height: barHeight, class: "bar-requests" });
                bar.appendChild(svg("title", {}, new Date(bucket.start * 1000).toLocaleString() + ": " + bucket.requests + " requests, " + bucket.tokens + " tokens"));
                nodes.push(bar);
              }
              if (bucket.errors > 0) {
                const errorHeight = (bucket.errors / maxRequests) * plotHeight;
                nodes.push(svg("rect", { x: x + 1, y: top + plotHeight - errorHeight, width: Math.max(1, slot - 2), height: errorHeight, class: "bar-errors" }));
              }
              points.push((x + slot / 2).toFixed(1) + "," + (top + plotHeight - (bucket.tokens / maxTokens) * plotHeight).toFixed(1));
              const every = Math.ceil(count / 8);
              if (index % every === 0) {
                const date = new Date(bucket.start * 1000);
                const label = series.bucket_seconds >= 86400 ? date.getUTCDate() + "/" + (date.getUTCMonth() + 1) : String(date.getHours()).padStart(2, "0") + ":00";
                nodes.push(svg("text", { x: x + 2, y: height - 10 }, label));
              }
            });
            nodes.push(svg("polyline", { points: points.join(" "), class: "line-tokens" }));
            chart.replaceChildren(...nodes);
            drawSpend(buckets);
          }

          // The same buckets in dollars: one bar each.
          function drawSpend(buckets) {
            const chart = byId("spend-chart");
            const width = 720, height = 160, left = 60, right = 10, top = 10, bottom = 24;
            const costs = buckets.map((bucket) => Number(bucket.cost_usd || 0));
            const maxCost = Math.max(...costs);
            const plotWidth = width - left - right, plotHeight = height - top - bottom;
            const slot = plotWidth / Math.max(1, buckets.length);
            const nodes = [
              svg("line", { x1: left, y1: top + plotHeight, x2: width - right, y2: top + plotHeight, class: "axis" }),
              svg("text", { x: 4, y: top + 8 }, dollars(String(maxCost))),
            ];
            buckets.forEach((bucket, index) => {
              if (costs[index] <= 0) return;
              const barHeight = (costs[index] / maxCost) * plotHeight;
              const bar = svg("rect", { x: left + index * slot + 1, y: top + plotHeight - barHeight, width: Math.max(1, slot - 2), height: barHeight, class: "bar-cost" });
              bar.dataset.cost = String(costs[index]);
              bar.appendChild(svg("title", {}, new Date(bucket.start * 1000).toLocaleString() + ": " + dollars(String(costs[index]))));
              nodes.push(bar);
            });
            chart.replaceChildren(...nodes);
          }

          async function refresh() {
            try {
              await refreshOverview();
              await Promise.all([refreshUsers(), refreshKeys(), refreshAccounts(), refreshRequests(), refreshSpend()]);
              await refreshChart();
              byId("api-error").hidden = true;
              byId("refreshed").textContent = "updated " + new Date().toLocaleTimeString();
            } catch (error) {
              showAPIError(error);
            }
          }

          async function act(action) {
            try { await action(); } catch (error) { showAPIError(error); return; }
            await refresh();
          }

          function showApp() {
            byId("sign-in-panel").hidden = true;
            byId("app").hidden = false;
            byId("sign-out").hidden = false;
            refresh();
            clearInterval(refreshTimer);
            refreshTimer = setInterval(refresh, 3000);
          }

          function signOut(message) {
            sessionStorage.removeItem(keyStore);
            clearInterval(refreshTimer);
            byId("app").hidden = true;
            byId("sign-out").hidden = true;
            byId("sign-in-panel").hidden = false;
            for (const table of ["users-table", "keys-table", "accounts-table"]) fill(table, [], () => []);
            byId("usage-chart").replaceChildren();
            byId("spend-chart").replaceChildren();
            const error = byId("sign-in-error");
            error.textContent = message || "";
            error.hidden = !message;
          }

          async function signIn() {
            const key = byId("admin-key").value.trim();
            if (!key) { signOut("Enter the admin key."); return; }
            sessionStorage.setItem(keyStore, key);
            try {
              await api("GET", "/admin/overview");
            } catch (error) {
              signOut(error.status === 401 || error.status === 403 ? "Wrong admin key." : "Cannot sign in: " + error.message);
              return;
            }
            byId("admin-key").value = "";
            byId("sign-in-error").hidden = true;
            showApp();
          }

          async function createKey() {
            const name = byId("new-key-name").value.trim();
            const user = byId("new-key-user").value;
            if (!name || !user) { showAPIError(new APIError(400, "A key needs a name and a user.")); return; }
            try {
              const created = await api("POST", "/admin/keys", { name, user });
              byId("created-key").textContent = created.key;
              byId("created-key-panel").hidden = false;
              byId("new-key-name").value = "";
            } catch (error) {
              showAPIError(error);
              return;
            }
            await refresh();
          }

          document.addEventListener("DOMContentLoaded", () => {
            byId("sign-in").addEventListener("click", signIn);
            byId("admin-key").addEventListener("keydown", (event) => { if (event.key === "Enter") signIn(); });
            byId("sign-out").addEventListener("click", () => signOut());
            byId("create-key").addEventListener("click", createKey);
            byId("copy-key").addEventListener("click", () => navigator.clipboard && navigator.clipboard.writeText(byId("created-key").textContent));
            byId("dismiss-key").addEventListener("click", () => { byId("created-key").textContent = ""; byId("created-key-panel").hidden = true; });
            byId("health-check").addEventListener("click", () => act(() => api("POST", "/admin/accounts/health-check")));
            for (const id of ["bucket", "filter-user", "filter-key"]) byId(id).addEventListener("change", () => refreshChart().catch(showAPIError));
            byId("filter-model").addEventListener("change", () => refreshChart().catch(showAPIError));
            if (adminKey()) showApp();
          });
        })();
        """#
}
