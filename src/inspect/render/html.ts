// A self-contained HTML page around SVG drawings (no scripts, no external files).

import { esc } from './svg.js';

export function htmlPage(title: string, sections: readonly { heading?: string; svg?: string; text?: string }[]): string {
  const body = sections.map((s) => [
    s.heading ? `<h2>${esc(s.heading)}</h2>` : '',
    s.text ? `<p>${esc(s.text)}</p>` : '',
    s.svg ? `<div class="fig">${s.svg}</div>` : '',
  ].join('\n')).join('\n');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}h1{font-size:1.3em}h2{font-size:1.05em;margin-top:1.5em}.fig{overflow-x:auto}p{max-width:60em}</style>
</head><body>
<h1>${esc(title)}</h1>
${body}
</body></html>
`;
}
