export { generateKeyPair, importKeyPair, deriveKeyPair, type KeyPairPem } from './keys.js';
export {
  createRootCA, createCSR, readCSR, signCSR, signCSRSync, inspectCert, verifyIssuedBy, derToPem, pemToDer, spkiHash, ROOT_CA_CN, ROOT_CA_VALIDITY_MS,
  type CertInfo, type CsrInfo, type IssuedCert, type SignRequest,
} from './certs.js';
export { caDigest, caFingerprint, constantTimeEqual, formatToken, newSecret, parseToken, type JoinToken } from './tokens.js';
export { JOIN_OU, joinCaCert, joinCaName, joinClientCert, type JoinRole } from './join.js';
export { renewalDelay } from './renewal.js';
