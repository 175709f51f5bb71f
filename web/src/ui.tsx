// Small building blocks shared by the views: labelled inputs, a run button that shows progress
// and errors, and the token label shown on axes.

import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

export function Field({ label, children, wide }: { label: string; children: ComponentChildren; wide?: boolean }) {
  return <label class={wide ? 'field wide' : 'field'}><span>{label}</span>{children}</label>;
}

export function NumberInput({ value, onInput, step, min, max, name }: { value: number; onInput(v: number): void; step?: number; min?: number; max?: number; name?: string }) {
  return <input type="number" name={name} value={value} step={step ?? 1} min={min} max={max} onInput={(e) => onInput(Number((e.target as HTMLInputElement).value))} />;
}

export function TextInput({ value, onInput, name, placeholder }: { value: string; onInput(v: string): void; name?: string; placeholder?: string }) {
  return <input type="text" name={name} value={value} placeholder={placeholder} onInput={(e) => onInput((e.target as HTMLInputElement).value)} />;
}

export function ErrorBox({ message }: { message: string | null }) {
  return message ? <p class="error" role="alert">{message}</p> : null;
}

/** Runs an async job with a busy flag and an error message; returns [run, busy, error]. */
export function useJob(): [(job: () => Promise<void>) => Promise<void>, boolean, string | null] {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (job: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await job();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return [run, busy, error];
}

export function RunButton({ busy, onClick, children, name }: { busy: boolean; onClick(): void; children: ComponentChildren; name?: string }) {
  return <button type="submit" name={name} disabled={busy} aria-busy={busy} onClick={(e) => { e.preventDefault(); onClick(); }}>{busy ? 'working…' : children}</button>;
}

/** A token's text made visible on an axis: spaces as ·, newlines as ⏎. */
export const show = (s: string) => s.replace(/ /g, '·').replace(/\n/g, '⏎');

/** Unique axis labels: "3 ·the" (the position keeps repeated tokens apart). */
export const posLabel = (tokens: string[]) => tokens.map((t, i) => `${i} ${show(t)}`);

/** The numbers behind a chart, as a table (for screen readers, copying, and the browser tests). */
export function Numbers({ head, rows, testid, open }: { head: string[]; rows: (string | number)[][]; testid: string; open?: boolean }) {
  return (
    <details class="numbers" open={open}>
      <summary>numbers</summary>
      <div class="scroll">
        <table data-testid={testid}>
          <thead><tr>{head.map((h, i) => <th key={i} scope="col">{h}</th>)}</tr></thead>
          <tbody>{rows.map((r, i) => <tr key={i}>{r.map((c, j) => <td key={j}>{typeof c === 'number' ? fmt(c) : c}</td>)}</tr>)}</tbody>
        </table>
      </div>
    </details>
  );
}

/** Numbers as the tables show them: 6 significant digits. */
export const fmt = (x: number) => (Number.isInteger(x) ? String(x) : Number(x.toPrecision(6)).toString());
