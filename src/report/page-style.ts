/** The run page's whole stylesheet, inline: the page loads nothing, fonts included. */
export const PAGE_STYLE = `
:root { color-scheme: light; --ok: #1a7f37; --warn: #bf8700; --bad: #cf222e; --idle: #8c959f; --run: #0969da; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; background: #f6f8fa; }
main { max-width: 1260px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 10px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
h4 { margin: 12px 0 4px; font-size: 13px; }
section { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: 4px 16px 16px; margin-top: 16px; }
.muted { color: #656d76; }
.small { font-size: 12px; }
.bad-text { color: var(--bad); }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin-top: 14px; }
.card { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 14px; min-width: 150px; }
.figure { font-size: 22px; font-weight: 600; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid #eaeef2; padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
.num { text-align: right; white-space: nowrap; }
code, pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
code { background: #f6f8fa; padding: 0 3px; border-radius: 3px; word-break: break-all; }
pre.report { white-space: pre-wrap; word-wrap: break-word; background: #f6f8fa; padding: 10px; border-radius: 6px; max-height: 600px; overflow: auto; }
.dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 6px; vertical-align: baseline; }
.dot.ok { background: var(--ok); } .dot.warn { background: var(--warn); } .dot.bad { background: var(--bad); }
.dot.idle { background: var(--idle); } .dot.run { background: var(--run); }
.scroll { overflow-x: auto; }
svg.timeline { font-size: 12px; display: block; }
svg .label { fill: #1f2328; font-weight: 600; }
svg .axis, svg .muted { fill: #656d76; }
svg .grid { stroke: #eaeef2; }
svg .bar.ok { fill: var(--ok); } svg .bar.warn { fill: var(--warn); } svg .bar.bad { fill: var(--bad); }
svg .bar.idle { fill: var(--idle); } svg .bar.run { fill: var(--run); }
svg .wait { fill: #d0d7de; } svg .wait.dep { fill: #c5b8f0; } svg .wait.overlap { fill: #f3c6a5; }
svg .wait.slot { fill: #a8bccf; }
svg .ticks { stroke: #fff; stroke-opacity: 0.85; stroke-width: 1; }
.legend { display: flex; flex-wrap: wrap; gap: 16px; font-size: 12px; color: #656d76; }
.swatch { display: inline-block; width: 18px; height: 8px; margin-right: 6px; }
.swatch.wait { background: #d0d7de; } .swatch.dep { background: #c5b8f0; } .swatch.overlap { background: #f3c6a5; }
.swatch.slot { background: #a8bccf; } .swatch.tick { width: 2px; height: 12px; background: var(--ok); vertical-align: middle; }
details.agent { border-top: 1px solid #eaeef2; padding: 6px 0; }
details.agent > summary { cursor: pointer; }
details.agent:target { background: #fff8c5; }
ol.steps { margin: 0; padding-left: 28px; font-size: 13px; }
ol.steps .at { display: inline-block; min-width: 62px; color: #656d76; font-variant-numeric: tabular-nums; }
ul.files { columns: 2; margin: 0; }
ul.warnings li { color: #9a6700; }
`;
