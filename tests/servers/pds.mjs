// Bluesky's reference PDS (@atproto/pds) and a PLC directory (@did-plc/server, in-memory) on
// 127.0.0.1, for dispatch's publishing tests. Prints one JSON line {"pds": url, "plc": url}
// when both answer, then runs until stdin closes or SIGTERM. Everything lives in a temporary
// folder removed on exit. Needs Node 22 and the packages `.ci/run` installs (DISPATCH_PDS_DIR).
import { createRequire } from 'node:module'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

const root = process.env.DISPATCH_PDS_DIR
const require = createRequire(path.join(root, 'package.json'))
const { PDS, envToCfg, envToSecrets, readEnv } = require('@atproto/pds')
const plc = require('@did-plc/server')
const { Secp256k1Keypair } = require('@atproto/crypto')

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dispatch-pds-'))
const plcServer = plc.PlcServer.create({ db: plc.Database.mock(), port: await freePort() })
const plcHttp = await plcServer.start()
const plcUrl = `http://127.0.0.1:${plcHttp.address().port}`

const port = await freePort()
const rotation = await Secp256k1Keypair.create({ exportable: true })
const hex = Buffer.from(await rotation.export()).toString('hex')
const env = {
  ...readEnv(),
  devMode: true,
  port,
  hostname: 'localhost',
  dataDirectory: dir,
  blobstoreDiskLocation: path.join(dir, 'blobs'),
  didPlcUrl: plcUrl,
  serviceHandleDomains: ['.test'],
  inviteRequired: false,
  // No AppView runs here: reads go to com.atproto.repo.* on the PDS itself.
  bskyAppViewUrl: 'http://127.0.0.1:1',
  bskyAppViewDid: 'did:example:appview',
  rateLimitsEnabled: false,
  crawlers: [],
  jwtSecret: 'dispatch-test-jwt-secret',
  adminPassword: 'dispatch-test-admin',
  plcRotationKeyK256PrivateKeyHex: hex,
}
const pds = await PDS.create(envToCfg(env), envToSecrets(env))
await pds.start()
process.stdout.write(JSON.stringify({ pds: `http://127.0.0.1:${port}`, plc: plcUrl }) + '\n')

let stopping = false
async function stop() {
  if (stopping) return
  stopping = true
  try { await pds.destroy() } catch {}
  try { await plcServer.destroy() } catch {}
  fs.rmSync(dir, { recursive: true, force: true })
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
process.stdin.on('end', stop)
process.stdin.resume()
