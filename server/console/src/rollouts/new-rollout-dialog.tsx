/**
 * Starting a rollout: its name, the command, and its phases, either parts of one target (a
 * percentage or a number of its devices each, the last one the rest) or a group, site or label
 * each; what each phase must reach before the next starts (nothing, a success rate, an admin's
 * approval); how fast commands go out, and when the rollout aborts. A refusal shows beside the
 * field it is about.
 */
import { useState } from "preact/hooks";
import { errorMessage } from "../api";
import { type CommandBody, type TargetBody, useCommandPicker, useTargetPicker } from "../command-form";
import { useLabels, useSites } from "../devices/organize";
import { errorOfField, fieldOfError } from "../form-errors";
import { plural } from "../format";
import { useList } from "../pages/admins";
import { Choice } from "../pages/time-settings";
import { useSession } from "../session";
import type { DeviceGroup, Rollout } from "../types";
import { Dialog, ErrorNote, Field } from "../ui";

type Mode = "sized" | "targeted";
type GateKind = "none" | "success" | "approval";

interface PhaseDraft {
  key: number;
  name: string;
  unit: "percent" | "count";
  size: string;
  /** Targeted phases: "group:<id>", "site:<id>" or "label:<name>". */
  target: string;
  gate: GateKind;
  successPercent: string;
}

let nextKey = 0;
const draft = (changes: Partial<PhaseDraft> = {}): PhaseDraft => ({
  key: nextKey++,
  name: "",
  unit: "percent",
  size: "10",
  target: "",
  gate: "approval",
  successPercent: "95",
  ...changes,
});

/** The most phases one rollout takes here. */
const MAX_PHASES = 10;

/** A whole number in the input, or NaN. */
const whole = (text: string) => (/^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN);
const decimal = (text: string) => (text.trim() === "" ? Number.NaN : Number(text));

/**
 * The field a refusal is about, as a dotted path: the request's schema says `phases.1.size`,
 * the rollout's rules `phases[1].size`.
 */
function fieldPath(err: unknown): string | null {
  return fieldOfError(err)?.replace(/\[(\d+)\]/g, ".$1") ?? null;
}

/** The refusal's message, when it is about `prefix` or a field under it (`phases.1` for `phases.1.size.percent`). */
function errorUnder(err: unknown, prefix: string): string | null {
  const field = fieldPath(err);
  if (field === null || (field !== prefix && !field.startsWith(`${prefix}.`))) return null;
  // Beside its field, "phases[1].size: every phase but the last has a size" needs no name.
  const message = errorMessage(err);
  const named = `${fieldOfError(err)}: `;
  return message.startsWith(named) ? message.slice(named.length) : message;
}

/** Whether a field of the form shows the refusal; any other shows under the form. */
function shownAtField(err: unknown): boolean {
  const field = fieldPath(err);
  return (
    field !== null &&
    (["name", "command.type", "command.name", "target.serials", "target.deviceIds"].includes(field) ||
      /^phases(\.\d+)?(\.|$)/.test(field) ||
      /^rate\.(perMinute|growthFactor|growEveryMinutes)$/.test(field) ||
      /^abort\.(failurePercent|minExecuted)$/.test(field))
  );
}

/** A number typed in a field: `step` "any" for a decimal. */
function NumberField(props: {
  label: string;
  hint?: string;
  error?: string | null;
  value: string;
  onInput: (value: string) => void;
  min: number;
  max?: number;
  step: number | "any";
  inputMode?: "decimal" | "numeric";
}) {
  return (
    <Field label={props.label} hint={props.hint} error={props.error}>
      {(id) => (
        <input
          id={id}
          class="input"
          type="number"
          inputMode={props.inputMode}
          min={props.min}
          max={props.max}
          step={props.step}
          value={props.value}
          onInput={(e) => props.onInput(e.currentTarget.value)}
        />
      )}
    </Field>
  );
}

function phaseTarget(value: string): TargetBody | null {
  const at = value.indexOf(":");
  if (at < 0) return null;
  const kind = value.slice(0, at);
  const id = value.slice(at + 1);
  if (!id) return null;
  if (kind === "group") return { group: id };
  if (kind === "site") return { filter: { site: id } };
  if (kind === "label") return { filter: { label: id } };
  return null;
}

export function NewRolloutDialog(props: { onClose: () => void; onSaved: (rollout: Rollout) => void }) {
  const session = useSession();
  const [name, setName] = useState("");
  const [mode, setMode] = useState<Mode>("sized");
  const [phases, setPhases] = useState<PhaseDraft[]>(() => [draft(), draft({ gate: "none", size: "" })]);
  const [limitRate, setLimitRate] = useState(false);
  const [perMinute, setPerMinute] = useState("60");
  const [growthFactor, setGrowthFactor] = useState("");
  const [growEvery, setGrowEvery] = useState("5");
  const [abortOn, setAbortOn] = useState(false);
  const [failurePercent, setFailurePercent] = useState("10");
  const [minExecuted, setMinExecuted] = useState("10");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const command = useCommandPicker({ name: "rollout", error, onError: setError });
  const target = useTargetPicker({
    name: "rollout",
    legend: "Devices it goes to",
    when: "when the rollout starts",
    error,
  });
  const groups = useList<DeviceGroup>("/groups");
  const sites = useSites({ enabled: mode === "targeted" });
  const labels = useLabels({ enabled: mode === "targeted" });

  const update = (key: number, changes: Partial<PhaseDraft>) =>
    setPhases((list) => list.map((p) => (p.key === key ? { ...p, ...changes } : p)));
  // A refusal about the phases is about the ones that were sent.
  const addPhase = () => {
    setError(null);
    setPhases((list) => {
      // A new phase goes before the last one, which stays "the rest" (and without a gate).
      const last = list.at(-1)!;
      return [...list.slice(0, -1), draft(), last];
    });
  };
  const removePhase = (key: number) => {
    setError(null);
    setPhases((list) => {
      const kept = list.filter((p) => p.key !== key);
      const last = kept.at(-1);
      return last ? [...kept.slice(0, -1), { ...last, gate: "none" }] : list;
    });
  };

  const lastIndex = phases.length - 1;
  const phaseBodies = phases.map((p, i) => {
    const body: Record<string, unknown> = {};
    if (p.name.trim()) body.name = p.name.trim();
    if (mode === "sized") {
      if (i < lastIndex) body.size = { [p.unit]: p.unit === "percent" ? decimal(p.size) : whole(p.size) };
    } else {
      body.target = phaseTarget(p.target);
    }
    if (i < lastIndex) {
      if (p.gate === "approval") body.gate = { approval: true };
      else if (p.gate === "success") body.gate = { successPercent: decimal(p.successPercent) };
    }
    return body;
  });
  const phaseInvalid = phases.some((p, i) => {
    if (mode === "sized" && i < lastIndex) {
      if (p.unit === "percent" ? !(decimal(p.size) > 0 && decimal(p.size) <= 100) : !(whole(p.size) >= 1))
        return true;
    }
    if (mode === "targeted" && !phaseTarget(p.target)) return true;
    if (i < lastIndex && p.gate === "success") {
      const n = decimal(p.successPercent);
      if (!(n > 0 && n <= 100)) return true;
    }
    return false;
  });
  const rate = limitRate
    ? {
        perMinute: whole(perMinute),
        ...(growthFactor.trim()
          ? { growthFactor: decimal(growthFactor), growEveryMinutes: whole(growEvery) }
          : {}),
      }
    : null;
  const abort = abortOn ? { failurePercent: decimal(failurePercent), minExecuted: whole(minExecuted) } : null;
  const invalid =
    !name.trim() ||
    !command.command ||
    (mode === "sized" && !target.target) ||
    phaseInvalid ||
    (rate !== null &&
      (!(rate.perMinute >= 1) ||
        ("growthFactor" in rate && (!(rate.growthFactor! >= 1) || !(rate.growEveryMinutes! >= 1))))) ||
    (abort !== null &&
      (!(abort.failurePercent >= 0 && abort.failurePercent <= 100) || !(abort.minExecuted >= 1)));

  const save = async () => {
    if (invalid || busy) return;
    setBusy(true);
    setError(null);
    try {
      const saved = await session.api.post<Rollout>("/rollouts", {
        name: name.trim(),
        command: command.command as CommandBody,
        ...(mode === "sized" ? { target: target.target } : {}),
        phases: phaseBodies,
        ...(rate ? { rate } : {}),
        ...(abort ? { abort } : {}),
      });
      props.onSaved(saved);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  const field = fieldPath(error);
  const groupOptions = groups.items ?? [];

  return (
    <Dialog
      title="New rollout"
      wide
      onClose={props.onClose}
      onSubmit={() => void save()}
      footer={
        <>
          <button type="button" class="button" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="button button-primary" disabled={busy || invalid}>
            {busy ? "Starting…" : "Start rollout"}
          </button>
        </>
      }
    >
      <div class="rollout-form">
        <Field label="Rollout name" error={errorOfField(error, "name")}>
          {(id) => (
            <input
              id={id}
              class="input"
              maxLength={80}
              placeholder="e.g. Lock the lobby screens, 10 % first"
              value={name}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          )}
        </Field>
        {command.view}
        <fieldset class="choices">
          <legend class="field-label">How the phases are made</legend>
          <Choice
            name="rollout-mode"
            mode="sized"
            current={mode}
            onSelect={setMode}
            title="Parts of one target"
            text="Each phase a percentage or a number of the target's devices; the last one the rest."
          />
          <Choice
            name="rollout-mode"
            mode="targeted"
            current={mode}
            onSelect={setMode}
            title="A group, site or label each"
            text="Each phase goes to the devices of its own group, site or label."
          />
        </fieldset>
        {mode === "sized" && target.view}
        <fieldset class="rollout-phases">
          <legend class="field-label">Phases</legend>
          {phases.map((p, i) => {
            const title = `Phase ${i + 1}`;
            const last = i === lastIndex;
            const rowError = errorUnder(error, `phases.${i}`);
            return (
              <fieldset key={p.key} class="rollout-phase-row" data-testid="phase-row">
                <legend>
                  {title}
                  {mode === "sized" && last ? " · the rest" : ""}
                </legend>
                <div class="rollout-cell">
                  <Field label="Name (optional)">
                    {(id) => (
                      <input
                        id={id}
                        class="input"
                        maxLength={80}
                        value={p.name}
                        onInput={(e) => update(p.key, { name: e.currentTarget.value })}
                      />
                    )}
                  </Field>
                </div>
                {mode === "sized" &&
                  (last ? (
                    <p class="rollout-phase-rest muted">The devices no phase before took.</p>
                  ) : (
                    <>
                      <div class="rollout-cell rollout-cell-size">
                        <NumberField
                          label="Size"
                          inputMode={p.unit === "percent" ? "decimal" : "numeric"}
                          min={p.unit === "percent" ? 0 : 1}
                          max={p.unit === "percent" ? 100 : undefined}
                          step={p.unit === "percent" ? "any" : 1}
                          value={p.size}
                          onInput={(value) => update(p.key, { size: value })}
                        />
                      </div>
                      <div class="rollout-cell rollout-cell-unit">
                        <Field label="Of">
                          {(id) => (
                            <select
                              id={id}
                              class="input"
                              value={p.unit}
                              onChange={(e) =>
                                update(p.key, { unit: e.currentTarget.value as PhaseDraft["unit"] })
                              }
                            >
                              <option value="percent">% of the devices</option>
                              <option value="count">devices</option>
                            </select>
                          )}
                        </Field>
                      </div>
                    </>
                  ))}
                {mode === "targeted" && (
                  <div class="rollout-cell rollout-cell-target">
                    <Field label="Devices">
                      {(id) => (
                        <select
                          id={id}
                          class="input"
                          value={p.target}
                          onChange={(e) => update(p.key, { target: e.currentTarget.value })}
                        >
                          <option value="">Pick a group, site or label</option>
                          {groupOptions.length > 0 && (
                            <optgroup label="Groups">
                              {groupOptions.map((g) => (
                                <option key={g.id} value={`group:${g.id}`}>
                                  {g.name} ({plural(g.devices, "device")})
                                </option>
                              ))}
                            </optgroup>
                          )}
                          {(sites.items?.length ?? 0) > 0 && (
                            <optgroup label="Sites">
                              {sites.items!.map((s) => (
                                <option key={s.id} value={`site:${s.id}`}>
                                  {s.name} ({plural(s.devices, "device")})
                                </option>
                              ))}
                            </optgroup>
                          )}
                          {(labels.items?.length ?? 0) > 0 && (
                            <optgroup label="Labels">
                              {labels.items!.map((l) => (
                                <option key={l.label} value={`label:${l.label}`}>
                                  {l.label} ({plural(l.devices, "device")})
                                </option>
                              ))}
                            </optgroup>
                          )}
                        </select>
                      )}
                    </Field>
                  </div>
                )}
                {!last && (
                  <div class="rollout-cell rollout-cell-gate">
                    <Field label="Then">
                      {(id) => (
                        <select
                          id={id}
                          class="input"
                          value={p.gate}
                          onChange={(e) => update(p.key, { gate: e.currentTarget.value as GateKind })}
                        >
                          <option value="none">Go straight on</option>
                          <option value="success">Go on at a success %</option>
                          <option value="approval">Wait for approval</option>
                        </select>
                      )}
                    </Field>
                  </div>
                )}
                {!last && p.gate === "success" && (
                  <div class="rollout-cell rollout-cell-percent">
                    <NumberField
                      label="Succeeded (%)"
                      min={0}
                      max={100}
                      step="any"
                      value={p.successPercent}
                      onInput={(value) => update(p.key, { successPercent: value })}
                    />
                  </div>
                )}
                {phases.length > 1 && (
                  <button
                    type="button"
                    class="button button-small rollout-phase-remove"
                    aria-label={`Remove phase ${i + 1}`}
                    onClick={() => removePhase(p.key)}
                  >
                    Remove
                  </button>
                )}
                {rowError && (
                  <p class="field-error rollout-phase-error" role="alert">
                    {rowError}
                  </p>
                )}
              </fieldset>
            );
          })}
          <div class="rollout-phases-foot">
            <button
              type="button"
              class="button button-small"
              disabled={phases.length >= MAX_PHASES}
              onClick={addPhase}
            >
              Add phase
            </button>
            {field === "phases" && (
              <p class="field-error" role="alert">
                {errorUnder(error, "phases")}
              </p>
            )}
          </div>
        </fieldset>
        <fieldset class="rollout-option">
          <legend class="visually-hidden">Rate</legend>
          <label class="checkbox-row">
            <input
              type="checkbox"
              checked={limitRate}
              onChange={(e) => setLimitRate(e.currentTarget.checked)}
            />
            Limit how fast commands go out
          </label>
          {limitRate && (
            <div class="rollout-option-fields">
              <NumberField
                label="Commands a minute"
                error={errorUnder(error, "rate.perMinute")}
                min={1}
                step={1}
                value={perMinute}
                onInput={setPerMinute}
              />
              <NumberField
                label="Growth factor (optional)"
                hint="e.g. 2 doubles the rate"
                error={errorUnder(error, "rate.growthFactor")}
                min={1}
                step="any"
                value={growthFactor}
                onInput={setGrowthFactor}
              />
              {growthFactor.trim() && (
                <NumberField
                  label="Every (minutes)"
                  error={errorUnder(error, "rate.growEveryMinutes")}
                  min={1}
                  step={1}
                  value={growEvery}
                  onInput={setGrowEvery}
                />
              )}
            </div>
          )}
        </fieldset>
        <fieldset class="rollout-option">
          <legend class="visually-hidden">Abort threshold</legend>
          <label class="checkbox-row">
            <input type="checkbox" checked={abortOn} onChange={(e) => setAbortOn(e.currentTarget.checked)} />
            Abort when too many fail
          </label>
          {abortOn && (
            <div class="rollout-option-fields">
              <NumberField
                label="Failed (%)"
                error={errorUnder(error, "abort.failurePercent")}
                min={0}
                max={100}
                step="any"
                value={failurePercent}
                onInput={setFailurePercent}
              />
              <NumberField
                label="Once executed"
                hint="Commands finished before the share counts"
                error={errorUnder(error, "abort.minExecuted")}
                min={1}
                step={1}
                value={minExecuted}
                onInput={setMinExecuted}
              />
            </div>
          )}
        </fieldset>
      </div>
      <ErrorNote error={shownAtField(error) ? null : error} />
    </Dialog>
  );
}
