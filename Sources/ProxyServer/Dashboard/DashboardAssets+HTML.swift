extension DashboardAssets {
    static let html = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>LLM gateway · dashboard</title>
        <link rel="stylesheet" href="/dashboard/app.css">
        <script src="/dashboard/app.js" defer></script>
        </head>
        <body>
        <header>
          <h1>LLM gateway</h1>
          <span id="refreshed" class="muted"></span>
          <button id="sign-out" type="button" hidden>Sign out</button>
        </header>
        <section id="sign-in-panel" class="panel narrow">
          <h2>Sign in</h2>
          <label for="admin-key">Admin key</label>
          <input id="admin-key" data-testid="admin-key" type="password" autocomplete="off" spellcheck="false">
          <button id="sign-in" data-testid="sign-in" type="button">Sign in</button>
          <p data-testid="sign-in-error" id="sign-in-error" class="error" hidden></p>
        </section>
        <main id="app" hidden>
          <p id="api-error" class="error" hidden></p>
          <section class="cards">
            <div class="card"><h3>Today</h3><p><b id="today-requests">–</b> requests</p><p><b id="today-tokens">–</b> tokens</p><p><b id="today-errors">–</b> errors</p><p><b id="today-cost">–</b> spent</p></div>
            <div class="card"><h3>This month</h3><p><b id="month-requests">–</b> requests</p><p><b id="month-tokens">–</b> tokens</p><p><b id="month-errors">–</b> errors</p><p><b id="month-cost" data-testid="month-cost">–</b> spent</p></div>
            <div class="card"><h3>Now</h3><p><b id="in-flight">–</b> in flight</p><p>store <b id="store-state">–</b></p></div>
          </section>
          <section class="panel">
            <h2>Usage over time</h2>
            <div class="filters">
              <label>Range <select id="bucket"><option value="hour">last 24 hours, by hour</option><option value="day">this month, by day</option></select></label>
              <label>User <select id="filter-user"><option value="">all</option></select></label>
              <label>Key <select id="filter-key"><option value="">all</option></select></label>
              <label>Model <input id="filter-model" placeholder="all" spellcheck="false"></label>
            </div>
            <svg data-testid="usage-chart" id="usage-chart" viewBox="0 0 720 220" role="img" aria-label="Requests and tokens over time"></svg>
            <p class="legend"><span class="swatch requests"></span> requests <span class="swatch tokens"></span> tokens <span class="swatch errors"></span> errors</p>
            <h3>Spend, in dollars</h3>
            <svg data-testid="spend-chart" id="spend-chart" viewBox="0 0 720 160" role="img" aria-label="Dollars spent over time"></svg>
          </section>
          <section class="panel">
            <h2>Spend this month</h2>
            <table data-testid="spend-table" id="spend-table">
              <thead><tr><th>By</th><th>Name</th><th>Requests</th><th>Tokens</th><th>Spent</th></tr></thead>
              <tbody></tbody>
            </table>
          </section>
          <section class="panel">
            <h2>Recent requests</h2>
            <table data-testid="requests-table" id="requests-table">
              <thead><tr><th>When</th><th>User</th><th>Key</th><th>Door</th><th>Model</th><th>Provider</th><th>Status</th><th>Tokens</th><th>Cost</th><th>Latency</th></tr></thead>
              <tbody></tbody>
            </table>
          </section>
          <section class="panel">
            <h2>Users</h2>
            <table data-testid="users-table" id="users-table">
              <thead><tr><th>User</th><th>Tier</th><th>Requests this month</th><th>Tokens this month</th><th>Spent this month</th></tr></thead>
              <tbody></tbody>
            </table>
          </section>
          <section class="panel">
            <h2>Keys</h2>
            <div class="filters">
              <label>Name <input id="new-key-name" data-testid="new-key-name" spellcheck="false"></label>
              <label>User <select id="new-key-user" data-testid="new-key-user"></select></label>
              <button id="create-key" data-testid="create-key" type="button">Create key</button>
            </div>
            <div id="created-key-panel" class="notice" hidden>
              <p>The new key, shown this once: copy it now.</p>
              <code data-testid="created-key" id="created-key"></code>
              <button id="copy-key" type="button">Copy</button>
              <button id="dismiss-key" type="button">Done</button>
            </div>
            <table data-testid="keys-table" id="keys-table">
              <thead><tr><th>Name</th><th>User</th><th>Prefix</th><th>Models</th><th>Limits</th><th>Last used</th><th>State</th><th></th></tr></thead>
              <tbody></tbody>
            </table>
          </section>
          <section class="panel">
            <h2>Upstream accounts</h2>
            <button id="health-check" type="button">Run a health check</button>
            <table data-testid="accounts-table" id="accounts-table">
              <thead><tr><th>Provider</th><th>Account</th><th>State</th><th>Success rate</th><th>In flight</th><th></th></tr></thead>
              <tbody></tbody>
            </table>
          </section>
        </main>
        </body>
        </html>
        """#
}
