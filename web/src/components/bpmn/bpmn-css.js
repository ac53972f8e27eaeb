// The stylesheets of bpmn-js (diagram, icons font), bundled with the designer's chunk: no CDN.
import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css';
