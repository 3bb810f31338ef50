// Node's net server: the greeting, then close.
import net from "node:net";
const server = net.createServer((socket) => {
  socket.on("error", () => {});
  socket.end("Hello, world!");
});
server.listen(
  Number(process.argv[2] ?? 0),
  () => console.log(`listening on ${server.address().port}`),
);
