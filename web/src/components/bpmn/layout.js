// A diagram for a process written by hand without one (defs/*/*.bpmn carry no BPMNDiagram):
// nodes in columns by their distance from the start event, rows in order of discovery, boundary
// timers on their task's lower edge, orthogonal flows (back flows routed below). Good enough to
// edit; the designer saves the diagram with the process afterwards.

const SIZE = {
  'bpmn:StartEvent': [36, 36], 'bpmn:EndEvent': [36, 36], 'bpmn:IntermediateCatchEvent': [36, 36],
  'bpmn:IntermediateThrowEvent': [36, 36], 'bpmn:BoundaryEvent': [36, 36],
  'bpmn:ExclusiveGateway': [50, 50], 'bpmn:ParallelGateway': [50, 50], 'bpmn:InclusiveGateway': [50, 50],
  'bpmn:ComplexGateway': [50, 50], 'bpmn:EventBasedGateway': [50, 50], 'bpmn:TextAnnotation': [100, 30],
};
const COL = 190, ROW = 140, X0 = 120, Y0 = 80;

/** XML → XML with a diagram (unchanged when it has one). moddle: the modeler's (with jg:). */
export async function ensureDiagram(moddle, xml) {
  if (/BPMNDiagram/.test(xml)) return xml;
  const { rootElement: defs } = await moddle.fromXML(xml, 'bpmn:Definitions');
  const proc = (defs.rootElements || []).find((e) => e.$type === 'bpmn:Process');
  if (!proc) return xml;
  const elems = proc.flowElements || [];
  const flows = elems.filter((e) => e.$type === 'bpmn:SequenceFlow');
  const boundaries = elems.filter((e) => e.$type === 'bpmn:BoundaryEvent');
  const nodes = elems.filter((e) => e.$type !== 'bpmn:SequenceFlow' && e.$type !== 'bpmn:BoundaryEvent');
  const hostOf = new Map(boundaries.map((b) => [b.id, b.attachedToRef && b.attachedToRef.id]));
  // the main way first: what a timer leads to goes below it
  const out = new Map();
  const fromTimer = (f) => hostOf.has(f.sourceRef && f.sourceRef.id);
  for (const f of [...flows.filter((x) => !fromTimer(x)), ...flows.filter(fromTimer)]) {
    const s = f.sourceRef && (hostOf.get(f.sourceRef.id) || f.sourceRef.id);
    if (!out.has(s)) out.set(s, []);
    if (f.targetRef) out.get(s).push(f.targetRef.id);
  }
  // columns: breadth-first distance from the start event(s); unreachable nodes after the rest
  const rank = new Map();
  const queue = nodes.filter((n) => n.$type === 'bpmn:StartEvent').map((n) => n.id);
  queue.forEach((id) => rank.set(id, 0));
  const seen = [...queue];
  while (queue.length) {
    const id = queue.shift();
    for (const t of out.get(id) || []) {
      if (!rank.has(t)) {
        rank.set(t, rank.get(id) + 1);
        queue.push(t);
        seen.push(t);
      }
    }
  }
  let last = Math.max(0, ...rank.values());
  for (const n of nodes) if (!rank.has(n.id)) rank.set(n.id, ++last);
  const rows = new Map();
  const bounds = new Map();
  const pos = (n) => (seen.includes(n.id) ? seen.indexOf(n.id) : seen.length);
  for (const n of [...nodes].sort((a, b) => pos(a) - pos(b))) {
    const r = rank.get(n.id);
    const row = rows.get(r) || 0;
    rows.set(r, row + 1);
    const [w, h] = SIZE[n.$type] || [100, 80];
    bounds.set(n.id, { x: X0 + r * COL + (100 - w) / 2, y: Y0 + row * ROW + (80 - h) / 2, width: w, height: h });
  }
  const perHost = new Map();
  for (const b of boundaries) {
    const host = bounds.get(hostOf.get(b.id));
    if (!host) continue;
    const k = perHost.get(hostOf.get(b.id)) || 0;
    perHost.set(hostOf.get(b.id), k + 1);
    bounds.set(b.id, { x: host.x + host.width - 30 - k * 40, y: host.y + host.height - 18, width: 36, height: 36 });
  }
  const low = Math.max(...[...bounds.values()].map((b) => b.y + b.height)) + 40;
  const mid = (b) => ({ x: b.x + b.width / 2, y: b.y + b.height / 2 });
  const wp = (x, y) => moddle.create('dc:Point', { x: Math.round(x), y: Math.round(y) });
  const plane = moddle.create('bpmndi:BPMNPlane', { id: `${proc.id}_plane`, bpmnElement: proc, planeElement: [] });
  for (const [id, b] of bounds) {
    const el = elems.find((e) => e.id === id);
    plane.planeElement.push(moddle.create('bpmndi:BPMNShape', {
      id: `${id}_di`, bpmnElement: el, bounds: moddle.create('dc:Bounds', b),
    }));
  }
  for (const f of flows) {
    const s = bounds.get(f.sourceRef && f.sourceRef.id), t = bounds.get(f.targetRef && f.targetRef.id);
    if (!s || !t) continue;
    const a = mid(s), z = mid(t);
    let pts;
    if (f.sourceRef.$type === 'bpmn:BoundaryEvent') {
      pts = z.y > s.y + s.height ? [wp(a.x, s.y + s.height), wp(a.x, z.y), wp(t.x, z.y)]
        : [wp(a.x, s.y + s.height), wp(a.x, low), wp(z.x, low), wp(z.x, t.y + t.height)];
    } else if (t.x > s.x) {
      const mx = (s.x + s.width + t.x) / 2;
      pts = a.y === z.y ? [wp(s.x + s.width, a.y), wp(t.x, z.y)]
        : [wp(s.x + s.width, a.y), wp(mx, a.y), wp(mx, z.y), wp(t.x, z.y)];
    } else {
      pts = [wp(a.x, s.y + s.height), wp(a.x, low), wp(z.x, low), wp(z.x, t.y + t.height)];
    }
    plane.planeElement.push(moddle.create('bpmndi:BPMNEdge', { id: `${f.id}_di`, bpmnElement: f, waypoint: pts }));
  }
  defs.diagrams = [moddle.create('bpmndi:BPMNDiagram', { id: `${proc.id}_diagram`, plane })];
  const { xml: result } = await moddle.toXML(defs, { format: true });
  return result;
}
