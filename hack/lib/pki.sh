# shellcheck shell=bash
# Certificates and kubeconfigs signed by a local cluster's CA, shared by hack/cluster.sh and
# hack/real-node.sh. Each script keeps its PKI in "$STATE/pki".

# pki_cert PKI NAME CN [O] [SAN] — NAME.key and NAME.crt in PKI, signed by PKI/ca.{crt,key}, good for
# server and client auth; an existing certificate is kept (remove it to reissue).
pki_cert() {
  local pki="$1" name="$2" cn="$3" org="${4:-}" san="${5:-}" subj="/CN=$3"
  [ -f "$pki/$name.crt" ] && return 0
  [ -n "$org" ] && subj="/O=$org/CN=$cn"
  openssl genrsa -out "$pki/$name.key" 2048 2>/dev/null
  openssl req -new -key "$pki/$name.key" -subj "$subj" -out "$pki/$name.csr" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n' >"$pki/$name.ext"
  [ -n "$san" ] && printf 'subjectAltName=%s\n' "$san" >>"$pki/$name.ext"
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$pki/$name.ext" -out "$pki/$name.crt" 2>/dev/null
}

# pki_kubeconfig FILE SERVER PKI USER CERT — a kubeconfig for USER with PKI/CERT.{crt,key}, trusting PKI/ca.crt.
pki_kubeconfig() {
  local file="$1" server="$2" pki="$3" user="$4" cert="$5"
  cat >"$file" <<YAML
apiVersion: v1
kind: Config
clusters:
  - name: topo-local
    cluster:
      server: $server
      certificate-authority: $pki/ca.crt
users:
  - name: $user
    user:
      client-certificate: $pki/$cert.crt
      client-key: $pki/$cert.key
contexts:
  - name: topo-local
    context: { cluster: topo-local, user: $user }
current-context: topo-local
YAML
}
