// The extract upload: the file goes up with XMLHttpRequest so the page can show the bytes sent
// (upload progress events); then htmx polls the ingest's progress until it is done or rejected.
(() => {
  var form = document.getElementById('extract-upload');
  if (!form) return;
  var bar = document.getElementById('upload-bar');
  var label = document.getElementById('upload-label');
  var error = document.getElementById('upload-error');
  var events = 0;
  function size(bytes) {
    return bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MB` : `${Math.ceil(bytes / 1024)} KB`;
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    var file = document.getElementById('upload-file').files[0];
    var quarter = document.getElementById('upload-quarter').value.trim();
    if (!file) return;
    document.getElementById('upload-progress').hidden = false;
    error.hidden = true;
    delete label.dataset.done;
    label.textContent = '';
    document.getElementById('ingest').innerHTML = '';
    bar.max = file.size || 1;
    bar.value = 0;
    var xhr = new XMLHttpRequest();
    xhr.open('POST', `/console/extract?quarter=${encodeURIComponent(quarter)}`);
    xhr.setRequestHeader('x-csrf-token', form.dataset.csrf);
    xhr.setRequestHeader(
      'content-type',
      /\.xlsx$/i.test(file.name) ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' : 'text/csv',
    );
    xhr.upload.onprogress = (ev) => {
      events++;
      bar.dataset.events = String(events);
      if (!ev.lengthComputable) return;
      bar.max = ev.total;
      bar.value = ev.loaded;
      label.textContent =
        size(ev.loaded) + ' / ' + size(ev.total) + ' (' + Math.floor((ev.loaded * 100) / ev.total) + '%)';
    };
    xhr.onload = () => {
      var answer;
      try {
        answer = JSON.parse(xhr.responseText);
      } catch (_) {
        answer = { ok: false, message: `${xhr.status} ${xhr.statusText}` };
      }
      if (xhr.status !== 202 || !answer.ok) {
        error.textContent = answer.message || String(xhr.status);
        error.hidden = false;
        return;
      }
      bar.value = bar.max;
      label.dataset.done = 'true';
      htmx.ajax('GET', answer.progressUrl, { target: '#ingest', swap: 'outerHTML' });
    };
    xhr.onerror = () => {
      error.textContent = 'network error';
      error.hidden = false;
    };
    xhr.send(file);
  });
})();
