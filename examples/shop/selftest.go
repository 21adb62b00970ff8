package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// runSelftest exercises the API at base over real HTTP, as a client would:
// users, login, shops as tenants, CRUD on products and orders, and the
// isolation and error cases (no token, forged token, another user's shop,
// a dropped shop). It prints one line per check and returns an error when
// any failed.
func runSelftest(ctx context.Context, base string, out io.Writer) error {
	var rnd [4]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return err
	}
	// Unique names, so the self-test also runs against a database that
	// holds an earlier run's data (-url).
	sfx := hex.EncodeToString(rnd[:])
	st := &selftest{ctx: ctx, base: base, out: out, client: &http.Client{Timeout: 30 * time.Second}}
	alice, bob := "alice-"+sfx+"@shop.test", "bob-"+sfx+"@shop.test"
	shopA, shopB := "a_"+sfx, "b_"+sfx
	const pw = "correct horse"

	// Users and login.
	st.expect("register alice", "POST", "/users", "", map[string]any{"email": alice, "password": pw}, 201)
	st.expect("register alice twice", "POST", "/users", "", map[string]any{"email": alice, "password": pw}, 409)
	st.expect("register with a short password", "POST", "/users", "", map[string]any{"email": "x" + alice, "password": "short"}, 400)
	st.expect("login with a wrong password", "POST", "/login", "", map[string]any{"email": alice, "password": "wrong password"}, 401)
	var login struct{ Token string }
	st.call("login alice", "POST", "/login", "", map[string]any{"email": alice, "password": pw}, 200, &login)
	plain := login.Token

	// Tenant routes need a token with a shop claim.
	st.expect("products without a token", "GET", "/products", "", nil, 401)
	st.expect("products with a garbage token", "GET", "/products", "not.a.token", nil, 401)
	st.expect("products with a token without shop", "GET", "/products", plain, nil, 400)

	// A shop is a tenant.
	var created struct{ ID, Schema, Token string }
	st.call("create shop A", "POST", "/shops", plain, map[string]any{"id": shopA, "name": "Alice's"}, 201, &created)
	tokA := created.Token
	st.check("shop A has its own schema", created.Schema == "shop_"+shopA, "schema %q", created.Schema)
	st.expect("create shop A twice", "POST", "/shops", plain, map[string]any{"id": shopA, "name": "Again"}, 409)
	st.expect("create a shop with an invalid id", "POST", "/shops", plain, map[string]any{"id": "Bad-ID", "name": "x"}, 400)
	st.expect("create a shop without a token", "POST", "/shops", "", map[string]any{"id": "c_" + sfx, "name": "x"}, 401)

	// Products: create, read, update, delete.
	type product struct {
		ID         int64
		Name       string
		PriceCents int32 `json:"price_cents"`
	}
	var anvil, secret product
	st.call("create a product", "POST", "/products", tokA, map[string]any{"name": "Anvil", "price_cents": 9900, "tags": []string{"heavy"}}, 201, &anvil)
	st.call("create a second product", "POST", "/products", tokA, map[string]any{"name": "Alice's secret", "price_cents": 100}, 201, &secret)
	st.expect("create a product with a negative price", "POST", "/products", tokA, map[string]any{"name": "x", "price_cents": -1}, 400)
	var list []product
	st.call("list products", "GET", "/products", tokA, nil, 200, &list)
	st.check("shop A lists its 2 products", len(list) == 2, "got %v", list)
	var got product
	st.call("get a product", "GET", fmt.Sprintf("/products/%d", anvil.ID), tokA, nil, 200, &got)
	st.check("got the anvil", got.Name == "Anvil", "got %+v", got)
	st.call("update a product", "PUT", fmt.Sprintf("/products/%d", anvil.ID), tokA, map[string]any{"name": "Heavy anvil", "price_cents": 12000}, 200, &got)
	st.check("product renamed", got.Name == "Heavy anvil" && got.PriceCents == 12000, "got %+v", got)
	st.expect("get a missing product", "GET", "/products/999999", tokA, nil, 404)

	// Orders: create, read, update, delete.
	type order struct {
		ID       int64
		Status   string
		Quantity int32
		Product  string
	}
	var o order
	st.call("place an order", "POST", "/orders", tokA, map[string]any{"product_id": anvil.ID, "quantity": 2}, 201, &o)
	st.expect("order a missing product", "POST", "/orders", tokA, map[string]any{"product_id": 999999, "quantity": 1}, 409)
	var orders []order
	st.call("list orders", "GET", "/orders", tokA, nil, 200, &orders)
	st.check("the order names its product", len(orders) == 1 && orders[0].Product == "Heavy anvil", "got %+v", orders)
	st.call("mark the order paid", "PATCH", fmt.Sprintf("/orders/%d", o.ID), tokA, map[string]any{"status": "paid"}, 200, &o)
	st.check("order is paid", o.Status == "paid", "status %q", o.Status)
	st.expect("set an unknown status", "PATCH", fmt.Sprintf("/orders/%d", o.ID), tokA, map[string]any{"status": "lost"}, 400)
	st.expect("delete an ordered product", "DELETE", fmt.Sprintf("/products/%d", anvil.ID), tokA, nil, 409)
	st.expect("delete the order", "DELETE", fmt.Sprintf("/orders/%d", o.ID), tokA, nil, 204)
	st.expect("get the deleted order", "GET", fmt.Sprintf("/orders/%d", o.ID), tokA, nil, 404)
	st.expect("delete the product", "DELETE", fmt.Sprintf("/products/%d", anvil.ID), tokA, nil, 204)

	// A second user and shop see none of it.
	st.expect("register bob", "POST", "/users", "", map[string]any{"email": bob, "password": pw}, 201)
	st.call("login bob", "POST", "/login", "", map[string]any{"email": bob, "password": pw}, 200, &login)
	st.call("create shop B", "POST", "/shops", login.Token, map[string]any{"id": shopB, "name": "Bob's"}, 201, &created)
	tokB := created.Token
	st.call("shop B lists products", "GET", "/products", tokB, nil, 200, &list)
	st.check("shop B starts empty", len(list) == 0, "got %v", list)
	var bobs product
	st.call("shop B creates a product", "POST", "/products", tokB, map[string]any{"name": "Bob's bolt", "price_cents": 5}, 201, &bobs)
	status, body := st.do("GET", fmt.Sprintf("/products/%d", secret.ID), tokB, nil)
	st.check("shop B never reads shop A's product by id", (status == 404 || status == 200) && !strings.Contains(body, "secret"),
		"status %d body %s", status, body)
	st.call("shop A lists products", "GET", "/products", tokA, nil, 200, &list)
	st.check("shop A sees only its own product", len(list) == 1 && list[0].Name == "Alice's secret", "got %v", list)
	st.expect("bob logs in for shop A", "POST", "/login", "", map[string]any{"email": bob, "password": pw, "shop": shopA}, 403)
	st.expect("bob drops shop A", "DELETE", "/shops/"+shopA, tokB, nil, 403)
	st.expect("token with a forged shop claim", "GET", "/products", forgeShop(tokB, shopA), nil, 401)

	var shops []struct{ ID string }
	st.call("list shops", "GET", "/shops", "", nil, 200, &shops)
	st.check("both shops listed", containsShop(shops, shopA) && containsShop(shops, shopB), "got %v", shops)

	// Dropping a shop: its tokens stop resolving, the other shop goes on.
	st.expect("alice drops shop A", "DELETE", "/shops/"+shopA, plain, nil, 204)
	st.expect("shop A's token after the drop", "GET", "/products", tokA, nil, 404)
	st.expect("alice logs in for the dropped shop", "POST", "/login", "", map[string]any{"email": alice, "password": pw, "shop": shopA}, 403)
	st.call("shop B after A's drop", "GET", "/products", tokB, nil, 200, &list)
	st.check("shop B keeps its product", len(list) == 1 && list[0].ID == bobs.ID, "got %v", list)

	if st.failed > 0 {
		return fmt.Errorf("self-test: %d of %d checks failed", st.failed, st.checks)
	}
	fmt.Fprintf(out, "%d checks\n", st.checks)
	return nil
}

// selftest runs requests and counts checks.
type selftest struct {
	ctx            context.Context
	base           string
	out            io.Writer
	client         *http.Client
	checks, failed int
}

func (st *selftest) check(name string, ok bool, format string, args ...any) {
	st.checks++
	if ok {
		fmt.Fprintf(st.out, "ok    %s\n", name)
		return
	}
	st.failed++
	fmt.Fprintf(st.out, "FAIL  %s: %s\n", name, fmt.Sprintf(format, args...))
}

// do sends a request with an optional bearer token and JSON body and
// returns the status and body; a transport error is status 0.
func (st *selftest) do(method, path, token string, body any) (int, string) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err.Error()
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(st.ctx, method, st.base+path, rd)
	if err != nil {
		return 0, err.Error()
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := st.client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err.Error()
	}
	return resp.StatusCode, string(b)
}

// expect checks that a request answers want.
func (st *selftest) expect(name, method, path, token string, body any, want int) {
	st.call(name, method, path, token, body, want, nil)
}

// call checks that a request answers want and decodes its JSON body into
// v (when not nil).
func (st *selftest) call(name, method, path, token string, body any, want int, v any) {
	status, resp := st.do(method, path, token, body)
	if status != want {
		st.check(name, false, "%s %s: status %d, want %d: %s", method, path, status, want, strings.TrimSpace(resp))
		return
	}
	if v != nil {
		if err := json.Unmarshal([]byte(resp), v); err != nil {
			st.check(name, false, "%s %s: decode %q: %v", method, path, resp, err)
			return
		}
	}
	st.check(name, true, "")
}

// forgeShop returns token with its shop claim replaced, keeping the
// signature: what a client trying to reach another shop would send.
func forgeShop(token, shop string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return token
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return token
	}
	var c map[string]any
	if json.Unmarshal(payload, &c) != nil {
		return token
	}
	c["shop"] = shop
	forged, err := json.Marshal(c)
	if err != nil {
		return token
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(forged)
	return strings.Join(parts, ".")
}

func containsShop(shops []struct{ ID string }, id string) bool {
	for _, s := range shops {
		if s.ID == id {
			return true
		}
	}
	return false
}
