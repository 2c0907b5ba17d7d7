// A dial of the scenario explorer: a label, a range input to move the value, a number input
// to type it, and its unit. The kernel holds the value (funnelkit.present.dials.Dial) in the
// model's unit; here it is shown times `scale` (a rate as a percentage), kept within
// [low, high] on `precision`, and mapped to the range's whole-number positions: slider_low +
// position × slider_step, or on a log scale slider_low × (1 + log_step) ** position.

function render({ model, el }) {
  const get = (key) => model.get(key);
  const id = `funnelkit-dial-${Math.random().toString(36).slice(2, 10)}`;
  const label = document.createElement("label");
  const range = document.createElement("input");
  const typed = document.createElement("input");
  const unit = document.createElement("span");
  label.className = "funnelkit-dial-label";
  range.className = "funnelkit-dial-range";
  typed.className = "funnelkit-dial-typed";
  unit.className = "funnelkit-dial-unit";
  range.type = "range";
  typed.type = "number";
  typed.id = `${id}-typed`;
  label.htmlFor = typed.id;
  el.classList.add("funnelkit-dial");
  el.append(label, range, typed, unit);

  const ratio = () => Math.log(1 + get("log_step"));
  const count = () =>
    get("log")
      ? Math.round(Math.log(get("slider_high") / get("slider_low")) / ratio())
      : Math.round((get("slider_high") - get("slider_low")) / get("slider_step"));
  const at = (position) =>
    get("log")
      ? get("slider_low") * Math.exp(position * ratio())
      : get("slider_low") + position * get("slider_step");
  const positionOf = (value) => {
    const exact = get("log")
      ? Math.log(Math.max(value, get("slider_low")) / get("slider_low")) / ratio()
      : (value - get("slider_low")) / get("slider_step");
    return Math.min(count(), Math.max(0, Math.round(exact)));
  };
  const onGrid = (value) => {
    const step = get("precision");
    const held = Math.min(get("high"), Math.max(get("low"), value));
    return Number((Math.round(held / step) * step).toFixed(10));
  };
  const shown = (value) => String(Number((value * get("scale")).toFixed(get("decimals"))));
  const spoken = (value) =>
    `${Number(shown(value)).toLocaleString("en-US", { maximumFractionDigits: 10 })} ${get("unit")}`.trim();

  function show(value) {
    typed.value = shown(value);
    range.value = String(positionOf(value));
    range.setAttribute("aria-valuetext", spoken(value));
  }
  function setUp() {
    label.textContent = get("label");
    label.title = get("label");
    range.setAttribute("aria-label", get("label"));
    range.min = "0";
    range.max = String(count());
    range.step = "1";
    typed.min = shown(get("low"));
    typed.max = shown(get("high"));
    typed.step = shown(get("precision"));
    unit.textContent = get("unit");
    show(get("value"));
  }
  function send(value) {
    model.set("value", value);
    model.save_changes();
  }
  function commitTyped() {
    const number = Number(typed.value);
    if (typed.value.trim() === "" || !Number.isFinite(number)) {
      show(get("value")); // not a number: the value stays, and so does what it shows
      return;
    }
    const value = onGrid(number / get("scale"));
    show(value);
    if (value !== get("value")) send(value);
  }

  range.addEventListener("input", () => {
    const value = onGrid(at(Number(range.value)));
    typed.value = shown(value);
    range.setAttribute("aria-valuetext", spoken(value));
    send(value);
  });
  typed.addEventListener("change", commitTyped);
  typed.addEventListener("keydown", (event) => {
    if (event.key === "Enter") commitTyped();
  });
  for (const input of [range, typed]) {
    // the keys move this control; in JupyterLab they would also move between cells
    input.addEventListener("keydown", (event) => event.stopPropagation());
  }
  model.on("change:value", () => show(get("value")));
  setUp();
}

export default { render };
