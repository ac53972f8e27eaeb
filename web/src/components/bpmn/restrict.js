// Limits the modeler to the BPMN subset the engine runs (docs/flow.md, "The BPMN subset"): the
// palette, the context pad and the replace menu offer only start and end events, user and service
// tasks, call activities, exclusive/parallel/inclusive gateways, timer boundary events, 会签
// (multi-instance) and text annotations. Providers registered after bpmn-js's own, at a lower
// priority, edit the entries bpmn-js made.

const PALETTE_KEEP = new Set([
  'hand-tool', 'lasso-tool', 'space-tool', 'global-connect-tool', 'tool-separator',
  'create.start-event', 'create.end-event', 'create.exclusive-gateway',
]);

const PAD_KEEP = new Set([
  'append.end-event', 'append.gateway', 'append.text-annotation', 'replace', 'delete', 'connect',
]);

const REPLACE_KEEP = new Set([
  'replace-with-none-start', 'replace-with-none-end',
  'replace-with-user-task', 'replace-with-service-task', 'replace-with-call-activity',
  'replace-with-exclusive-gateway', 'replace-with-parallel-gateway', 'replace-with-inclusive-gateway',
  'replace-with-timer-boundary', 'replace-with-non-interrupting-timer-boundary',
  'replace-with-sequence-flow', 'replace-with-default-flow', 'replace-with-conditional-flow',
  // header toggles: 会签 in parallel or in sequence, a non-interrupting timer
  'toggle-parallel-mi', 'toggle-sequential-mi', 'toggle-non-interrupting',
]);

function pick(entries, keep) {
  const out = {};
  for (const [k, v] of Object.entries(entries)) if (keep.has(k)) out[k] = v;
  return out;
}

function Restrict(palette, contextPad, popupMenu, create, elementFactory, autoPlace, translate) {
  function shape(type, extra = {}) {
    return elementFactory.createShape({ type, ...extra });
  }
  function createEntry(group, className, title, type, extra) {
    const start = (event) => create.start(event, shape(type, extra));
    return { group, className, title: translate(title), action: { dragstart: start, click: start } };
  }

  palette.registerProvider(500, {
    getPaletteEntries() {
      return (entries) => ({
        ...pick(entries, PALETTE_KEEP),
        'create.parallel-gateway': createEntry('gateway', 'bpmn-icon-gateway-parallel', 'Create parallel gateway', 'bpmn:ParallelGateway'),
        'create.inclusive-gateway': createEntry('gateway', 'bpmn-icon-gateway-or', 'Create inclusive gateway', 'bpmn:InclusiveGateway'),
        'create.user-task': createEntry('activity', 'bpmn-icon-user-task', 'Create user task', 'bpmn:UserTask'),
        'create.service-task': createEntry('activity', 'bpmn-icon-service-task', 'Create service task', 'bpmn:ServiceTask'),
        'create.call-activity': createEntry('activity', 'bpmn-icon-call-activity', 'Create call activity', 'bpmn:CallActivity'),
        // an intermediate timer becomes a boundary timer when dropped on a task's border
        'create.timer-event': createEntry('event', 'bpmn-icon-intermediate-event-catch-timer', 'Create timer boundary event',
          'bpmn:IntermediateCatchEvent', { eventDefinitionType: 'bpmn:TimerEventDefinition' }),
      });
    },
  });

  contextPad.registerProvider(500, {
    getContextPadEntries(element) {
      return (entries) => {
        const out = pick(entries, PAD_KEEP);
        if (entries['append.append-task']) {
          const append = (event, el) => {
            const s = shape('bpmn:UserTask');
            if (autoPlace) autoPlace.append(el, s);
            else create.start(event, s, { source: el });
          };
          out['append.user-task'] = {
            group: 'model', className: 'bpmn-icon-user-task', title: translate('Append user task'),
            action: { click: append, dragstart: (event, el) => create.start(event, shape('bpmn:UserTask'), { source: el }) },
          };
        }
        return out;
      };
    },
  });

  const filter = { getPopupMenuEntries: () => (entries) => pick(entries, REPLACE_KEEP) };
  filter.getPopupMenuHeaderEntries = () => (entries) => pick(entries, REPLACE_KEEP);
  popupMenu.registerProvider('bpmn-replace', 500, filter);
}
Restrict.$inject = ['palette', 'contextPad', 'popupMenu', 'create', 'elementFactory', 'autoPlace', 'translate'];

export default { __init__: ['jgRestrict'], jgRestrict: ['type', Restrict] };
