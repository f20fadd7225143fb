// Service worker of the sample's web chat: shows Web Push notifications and opens the chat on click.
// The payload is whatever the server's Web Push provider sends; ids, a badge and (if the host allows) a preview.

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('push', (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { body: event.data ? event.data.text() : '' };
  }
  const channel = data.channel || data.channelId || '';
  const from = data.from || data.sender || '';
  const title = data.title || (from ? `New message from ${from}` : 'New message');
  const body = data.preview || data.body || (data.badge ? `${data.badge} unread` : 'Open ChatKit to read it.');
  event.waitUntil((async () => {
    // Skip the notification when a tab of the chat is in front: it shows the message already.
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    if (windows.some((w) => w.visibilityState === 'visible' && w.focused)) return;
    if (typeof data.badge === 'number' && self.navigator.setAppBadge) await self.navigator.setAppBadge(data.badge).catch(() => {});
    await self.registration.showNotification(title, {
      body,
      tag: channel ? `chatkit-${channel}` : 'chatkit', // one notification per channel, replaced by newer ones
      renotify: true,
      data: { url: channel ? `./?channel=${encodeURIComponent(channel)}` : './' },
    });
  })());
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = new URL(event.notification.data?.url || './', self.registration.scope).toString();
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    for (const w of windows) {
      if (new URL(w.url).origin === self.location.origin && 'focus' in w) {
        await w.focus();
        if ('navigate' in w) await w.navigate(url).catch(() => {});
        return;
      }
    }
    await self.clients.openWindow(url);
  })());
});
