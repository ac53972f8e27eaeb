// Node states of an instance for colouring its diagram: the server's "nodes" (done / current /
// pending) when it gives them, else derived from the open tasks and the history.

/** { nodeId: 'done' | 'current' | 'pending' } from GET /api/v1/flow/instances/{id}. */
export function nodeStates(inst) {
  const out = {};
  if (Array.isArray(inst.nodes) && inst.nodes.length) {
    for (const n of inst.nodes) if (n && n.id && n.state) out[n.id] = n.state;
    return out;
  }
  for (const l of inst.log || []) if (l.node) out[l.node] = 'done';
  for (const t of inst.tasks || []) {
    const open = !t.done_at && (t.state === 'open' || t.state === 'claimed' || !t.state);
    if (t.node) out[t.node] = open ? 'current' : out[t.node] || 'done';
  }
  return out;
}
