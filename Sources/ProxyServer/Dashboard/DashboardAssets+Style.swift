extension DashboardAssets {
    static let style = #"""
        :root { --ink: #1d2330; --muted: #6b7385; --line: #dde1ea; --accent: #2f6fdf; --tokens: #e08a1e; --bad: #c9372c; --good: #1f8a4c; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #f5f6f9; }
        header { display: flex; gap: 16px; align-items: center; padding: 12px 24px; background: #fff; border-bottom: 1px solid var(--line); }
        header h1 { font-size: 18px; margin: 0; flex: 1; }
        main, #sign-in-panel { max-width: 1100px; margin: 20px auto; padding: 0 16px; }
        .panel { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin-bottom: 16px; }
        .narrow { max-width: 420px; }
        .narrow input { display: block; width: 100%; margin: 6px 0 12px; }
        h2 { font-size: 16px; margin: 0 0 12px; }
        h3 { font-size: 13px; margin: 0 0 6px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
        .cards { display: grid; grid-template-columns: repeat(3, 1fr); gap: 16px; margin-bottom: 16px; }
        .card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 18px; }
        .card p { margin: 2px 0; } .card b { font-size: 18px; }
        .filters { display: flex; flex-wrap: wrap; gap: 12px; align-items: end; margin-bottom: 12px; }
        label { color: var(--muted); font-size: 12px; }
        input, select { font: inherit; padding: 5px 8px; border: 1px solid var(--line); border-radius: 5px; background: #fff; color: var(--ink); }
        button { font: inherit; padding: 5px 12px; border: 1px solid var(--accent); border-radius: 5px; background: var(--accent); color: #fff; cursor: pointer; }
        button.secondary { background: #fff; color: var(--accent); }
        button.danger { background: #fff; color: var(--bad); border-color: var(--bad); }
        table { width: 100%; border-collapse: collapse; margin-top: 8px; }
        th, td { text-align: left; padding: 7px 8px; border-bottom: 1px solid var(--line); vertical-align: middle; }
        th { font-size: 12px; color: var(--muted); font-weight: 600; }
        td.actions { white-space: nowrap; text-align: right; } td.actions button { margin-left: 6px; }
        .bar { position: relative; height: 8px; width: 160px; background: #eceff5; border-radius: 4px; display: inline-block; margin-right: 8px; vertical-align: middle; }
        .bar span { position: absolute; left: 0; top: 0; bottom: 0; background: var(--accent); border-radius: 4px; }
        .bar.full span { background: var(--bad); }
        .state-ok { color: var(--good); } .state-bad { color: var(--bad); } .state-warn { color: var(--tokens); }
        .muted { color: var(--muted); }
        .error { color: var(--bad); background: #fdeeed; border: 1px solid #f3c7c3; padding: 8px 12px; border-radius: 6px; }
        .notice { background: #eef4ff; border: 1px solid #c9dafc; padding: 10px 14px; border-radius: 6px; margin: 8px 0; }
        .notice code { font-size: 13px; background: #fff; padding: 3px 6px; border-radius: 4px; word-break: break-all; }
        svg { width: 100%; height: auto; display: block; }
        svg .axis { stroke: var(--line); } svg text { fill: var(--muted); font-size: 10px; }
        svg .bar-requests { fill: var(--accent); } svg .bar-errors { fill: var(--bad); } svg .line-tokens { fill: none; stroke: var(--tokens); stroke-width: 2; }
        svg .bar-cost { fill: var(--tokens); }
        .legend { margin: 6px 0 0; color: var(--muted); font-size: 12px; }
        .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin: 0 4px 0 12px; vertical-align: -1px; }
        .swatch.requests { background: var(--accent); } .swatch.tokens { background: var(--tokens); } .swatch.errors { background: var(--bad); }
        """#
}
