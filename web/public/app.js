// Public project disclosure (公示) page: health badge and a paged, filtered list.
(function () {
  'use strict';
  var STATUS = { registered: '已报监', under_construction: '在建', suspended: '停工', completed: '已竣工' };
  var page = 1;
  var form = document.getElementById('filter');

  function text(tag, value) {
    var el = document.createElement(tag);
    el.textContent = value == null ? '' : String(value);
    return el;
  }

  function health() {
    fetch('/healthz').then(function (r) { return r.json(); }).then(function (h) {
      document.getElementById('health').textContent =
        h.status === 'ok' ? '服务正常（' + h.database + '）' : '数据库暂时不可用';
    }).catch(function () { document.getElementById('health').textContent = '无法连接服务器'; });
  }

  function load() {
    var q = new URLSearchParams({ page: String(page), size: '20', sort: '-registered_on' });
    var data = new FormData(form);
    data.forEach(function (v, k) { if (v) q.set(k, v); });
    fetch('/api/v1/public/projects?' + q).then(function (r) { return r.json(); }).then(function (body) {
      var rows = document.getElementById('rows');
      rows.textContent = '';
      if (body.error) {
        var tr = document.createElement('tr');
        var td = text('td', body.error.message);
        td.colSpan = 7;
        tr.appendChild(td);
        rows.appendChild(tr);
        return;
      }
      body.items.forEach(function (p) {
        var tr = document.createElement('tr');
        [p.code, p.name, p.owner_name, p.contractor_name, p.supervisor_firm_name, STATUS[p.status] || p.status,
         p.registered_on].forEach(function (v) { tr.appendChild(text('td', v)); });
        rows.appendChild(tr);
      });
      document.getElementById('page').textContent = String(page);
      document.getElementById('prev').disabled = page <= 1;
      document.getElementById('next').disabled = !body.has_more;
    });
  }

  form.addEventListener('submit', function (e) { e.preventDefault(); page = 1; load(); });
  document.getElementById('prev').addEventListener('click', function () { page--; load(); });
  document.getElementById('next').addEventListener('click', function () { page++; load(); });
  health();
  load();
})();
