/**
 * A simulated 3x-ui panel in a process of its own, for the benchmarks (bench/remote-panel.ts starts
 * it): keywarden's CPU and memory are then its own. Listens on 127.0.0.1, port 0, and answers the
 * parent's commands over the IPC channel. Not a benchmark itself.
 */
import { startSimulatedPanel, type ClientSeed } from '../src/simulator/index.ts';

type Command =
  | { readonly op: 'addInbound' }
  | { readonly op: 'seed'; readonly inboundId: number; readonly clients: ReadonlyArray<ClientSeed> }
  | { readonly op: 'setLatency'; readonly ms: number }
  | { readonly op: 'enabled'; readonly emails: ReadonlyArray<string> }
  | { readonly op: 'requests' }
  | { readonly op: 'close' };

const generation = process.argv[2] === 'g1' ? 'g1' : 'g2';
const sim = await startSimulatedPanel({ generation, token: 'bench', jobIntervalMs: 0 });

function answer(id: number, value: unknown): void {
  process.send?.({ id, value });
}

process.on('message', (message: { readonly id: number; readonly command: Command }) => {
  const { id, command } = message;
  switch (command.op) {
    case 'addInbound':
      answer(id, sim.addInbound({ protocol: 'vless', port: 443 }));
      return;
    case 'seed':
      for (const client of command.clients) {
        sim.seedClient(command.inboundId, client);
      }
      answer(id, command.clients.length);
      return;
    case 'setLatency':
      sim.setLatency(command.ms);
      answer(id, true);
      return;
    case 'enabled':
      answer(
        id,
        command.emails.map((email) => sim.inspectClient(email)?.enable ?? null),
      );
      return;
    case 'requests':
      answer(id, sim.requests().length);
      return;
    case 'close':
      void sim.close().then(() => {
        answer(id, true);
        process.disconnect();
      });
      return;
  }
});
process.send?.({ id: 0, value: sim.url });
