// Sends a request exactly as written (request target included) over a plain socket: fetch and
// inject both normalise URLs, which hides what a hostile client can really send.
import net from 'node:net';

export interface RawReply {
  status: number;
  head: string;
  body: string;
}

/** `request` is the whole request head (and body); the connection is closed by us after the reply. */
export function rawHttp(port: number, request: string, host = '127.0.0.1'): Promise<RawReply> {
  const withClose = request.replace(/\r\n\r\n/, '\r\nConnection: close\r\n\r\n');
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host, () => socket.write(withClose));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const head = split === -1 ? text : text.slice(0, split);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({ status, head, body: split === -1 ? '' : text.slice(split + 4) });
    });
  });
}
