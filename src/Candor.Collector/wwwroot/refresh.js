// Keeps an open product page current: every data-check-seconds it asks the collector for the version of the
// product's data (a few bytes, no query), and reloads the page when new events were stored since the page's
// figures were computed. It asks only while the page is visible, and asks once at once when it is shown again.
(function () {
  'use strict';

  var status = document.getElementById('freshness');
  if (!status) {
    return;
  }
  var shown = status.getAttribute('data-version');
  var url = status.getAttribute('data-version-url');
  var every = Math.max(1, Number(status.getAttribute('data-check-seconds')) || 10) * 1000;
  var timer = null;
  var asking = false;

  function ask() {
    if (asking || document.visibilityState === 'hidden') {
      return;
    }
    asking = true;
    fetch(url, { credentials: 'same-origin', cache: 'no-store' })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (current) {
        asking = false;
        if (current !== null && current !== shown) {
          stop();
          status.querySelector('.follows').textContent = 'New events were stored: loading the new figures.';
          // Keeps the reader's place on the page: the browser restores the scroll position on reload.
          location.reload();
        }
      })
      .catch(function () { asking = false; });
  }

  function start() {
    if (timer === null) {
      timer = setInterval(ask, every);
    }
  }

  function stop() {
    if (timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  }

  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'hidden') {
      stop();
    } else {
      ask();
      start();
    }
  });
  start();
}());
