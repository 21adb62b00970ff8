package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/examples/shop/internal/db"
	"github.com/tenantc/tenantc/migrate"
	"github.com/tenantc/tenantc/tenancy"
	"github.com/tenantc/tenantc/tenancy/tenanthttp"
)

// server is the shop HTTP API. Users and shops are shared; each shop is a
// tenant whose products and orders live in its own schema.
//
//	POST   /users                 {email, password}          register
//	POST   /login                 {email, password, shop?}   → {token}
//	GET    /shops                                            list shops
//	POST   /shops                 {id, name}                 create a shop (a tenant) → {shop, token}
//	DELETE /shops/{id}                                       drop a shop you own
//
// With a token carrying a shop claim (from /login with a shop, or from
// POST /shops), the shop's own data:
//
//	GET|POST          /products         GET|PUT|DELETE /products/{id}
//	GET|POST          /orders           GET|PATCH|DELETE /orders/{id}
type server struct {
	pool       *tenancy.Pool
	cfg        *config.Config
	migrations fs.FS
	reg        *tenancy.Registry
	tokens     *tokens
	log        *slog.Logger
}

// claimsKey is the context key of the verified token claims.
type claimsKey struct{}

func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /users", s.register)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("GET /shops", s.listShops)
	mux.Handle("POST /shops", s.auth(http.HandlerFunc(s.createShop)))
	mux.Handle("DELETE /shops/{id}", s.auth(http.HandlerFunc(s.dropShop)))

	// Tenant routes: the token is verified first (401), then its shop
	// claim names the tenant, which the registry resolves (400 without a
	// claim, 404 for a shop that no longer exists, 503 if the database
	// is down). Handlers then only see their own shop's schema.
	shop := http.NewServeMux()
	shop.HandleFunc("GET /products", s.listProducts)
	shop.HandleFunc("POST /products", s.createProduct)
	shop.HandleFunc("GET /products/{id}", s.getProduct)
	shop.HandleFunc("PUT /products/{id}", s.updateProduct)
	shop.HandleFunc("DELETE /products/{id}", s.deleteProduct)
	shop.HandleFunc("GET /orders", s.listOrders)
	shop.HandleFunc("POST /orders", s.placeOrder)
	shop.HandleFunc("GET /orders/{id}", s.getOrder)
	shop.HandleFunc("PATCH /orders/{id}", s.setOrderStatus)
	shop.HandleFunc("DELETE /orders/{id}", s.deleteOrder)
	byClaim := tenanthttp.ByFunc(func(r *http.Request) (string, error) {
		c, _ := r.Context().Value(claimsKey{}).(claims)
		if c.Shop == "" {
			return "", errors.New("token has no shop claim (log in with a shop)")
		}
		return c.Shop, nil
	})
	tenant := s.auth(tenanthttp.Middleware(s.reg, byClaim, tenanthttp.WithLogger(s.log))(shop))
	mux.Handle("/products", tenant)
	mux.Handle("/products/", tenant)
	mux.Handle("/orders", tenant)
	mux.Handle("/orders/", tenant)
	return mux
}

// auth verifies the bearer token and puts its claims in the context.
func (s *server) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := s.tokens.fromRequest(r)
		if err != nil {
			s.log.DebugContext(r.Context(), "rejected token", "err", err)
			w.Header().Set("WWW-Authenticate", `Bearer realm="shop"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), claimsKey{}, c)))
	})
}

func claimsOf(r *http.Request) claims {
	c, _ := r.Context().Value(claimsKey{}).(claims)
	return c
}

// tenantQueries is the one line a tenant handler needs: the queries of the
// shop the middleware resolved, bound to the pool.
func (s *server) tenantQueries(r *http.Request) *db.TenantQueries {
	return db.NewTenant(tenancy.ConnFromContext(r.Context(), s.pool))
}

// httpError is an error with the status and the message the client sees.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &httpError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// fail answers err: an httpError as it says, a missing row 404, a
// constraint violation 409 or 400, anything else 500 (logged, not shown).
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &he):
		http.Error(w, he.msg, he.status)
	case errors.Is(err, pgx.ErrNoRows):
		http.Error(w, "not found", http.StatusNotFound)
	case errors.As(err, &pgErr) && (pgErr.Code == "23503" || pgErr.Code == "23505"):
		http.Error(w, "conflict: "+pgErr.Message, http.StatusConflict)
	case errors.As(err, &pgErr) && (pgErr.Code == "23514" || pgErr.Code == "22P02"):
		http.Error(w, "invalid value: "+pgErr.Message, http.StatusBadRequest)
	default:
		s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

// decode reads a JSON body into v, refusing unknown fields.
func decode(r *http.Request, v any) error {
	d := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return badRequest("invalid JSON body: %v", err)
	}
	return nil
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, &httpError{http.StatusNotFound, "not found"}
	}
	return id, nil
}

// --- users, login, shops (shared) ---

type credentials struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Shop     string `json:"shop,omitempty"`
}

func (s *server) register(w http.ResponseWriter, r *http.Request) {
	var c credentials
	if err := decode(r, &c); err != nil {
		s.fail(w, r, err)
		return
	}
	if c.Email == "" || len(c.Password) < 8 || c.Shop != "" {
		s.fail(w, r, badRequest("want an email and a password of at least 8 bytes"))
		return
	}
	u, err := s.createUser(r.Context(), c.Email, c.Password)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reply(w, http.StatusCreated, map[string]any{"id": u.ID, "email": u.Email})
}

func (s *server) createUser(ctx context.Context, email, password string) (db.User, error) {
	hash, err := hashPassword(password)
	if err != nil {
		return db.User{}, err
	}
	return db.New(s.pool).CreateUser(ctx, db.CreateUserParams{Email: email, PasswordHash: hash})
}

// login checks the password and issues a token; with a shop, only for a
// shop the user owns.
func (s *server) login(w http.ResponseWriter, r *http.Request) {
	var c credentials
	if err := decode(r, &c); err != nil {
		s.fail(w, r, err)
		return
	}
	q := db.New(s.pool)
	u, err := q.GetUserByEmail(r.Context(), c.Email)
	if errors.Is(err, pgx.ErrNoRows) || err == nil && !checkPassword(u.PasswordHash, c.Password) {
		http.Error(w, "wrong email or password", http.StatusUnauthorized)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if c.Shop != "" {
		shop, err := q.GetShop(r.Context(), c.Shop)
		if errors.Is(err, pgx.ErrNoRows) || err == nil && shop.OwnerID != u.ID {
			http.Error(w, "not your shop", http.StatusForbidden)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
	}
	tok, err := s.tokens.issue(u.ID, c.Shop)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, map[string]string{"token": tok})
}

func (s *server) listShops(w http.ResponseWriter, r *http.Request) {
	shops, err := db.New(s.pool).ListShops(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	type shopJSON struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	out := []shopJSON{}
	for _, sh := range shops {
		out = append(out, shopJSON{sh.ID, sh.Name})
	}
	reply(w, http.StatusOK, out)
}

type newShop struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// createShop provisions a tenant for the shop, owned by the caller, and
// returns a token for it.
func (s *server) createShop(w http.ResponseWriter, r *http.Request) {
	var ns newShop
	if err := decode(r, &ns); err != nil {
		s.fail(w, r, err)
		return
	}
	user := claimsOf(r).Sub
	info, err := s.createTenant(r.Context(), ns, user)
	switch {
	case errors.Is(err, tenancy.ErrInvalidTenantID) || ns.Name == "":
		s.fail(w, r, badRequest("want a shop id of 1-48 bytes of [a-z0-9_] and a name"))
		return
	case errors.Is(err, migrate.ErrTenantExists):
		http.Error(w, "shop exists", http.StatusConflict)
		return
	case errors.Is(err, migrate.ErrPendingMigrations):
		// A deploy is migrating the fleet; signups resume when it is done.
		s.log.WarnContext(r.Context(), "shop creation refused", "err", err)
		http.Error(w, "migrations in progress, try again", http.StatusServiceUnavailable)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	tok, err := s.tokens.issue(user, info.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reply(w, http.StatusCreated, map[string]string{"id": info.ID, "schema": info.Schema, "name": ns.Name, "token": tok})
}

// createTenant creates the shop's schema, at the latest tenant version,
// and its registry row, with the app's own columns, in one transaction.
func (s *server) createTenant(ctx context.Context, ns newShop, owner int64) (migrate.TenantInfo, error) {
	if ns.Name == "" {
		return migrate.TenantInfo{}, badRequest("a shop needs a name")
	}
	info, err := migrate.CreateTenant(ctx, s.pool, s.cfg, ns.ID,
		migrate.WithMigrationsFS(s.migrations),
		migrate.WithRegistryValues(map[string]any{"name": ns.Name, "owner_id": owner}))
	if err != nil {
		return info, err
	}
	// Lookups of unknown ids are not cached, but say so explicitly.
	s.reg.Invalidate(info.ID)
	return info, nil
}

// dropShop drops a shop the caller owns: its schema and registry row go in
// one transaction, and the cache entry right after. Tokens for it then get
// 404 here; other processes see it within the registry TTL, and until then
// their queries fail on the missing schema, never reaching another shop.
func (s *server) dropShop(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	shop, err := db.New(s.pool).GetShop(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if shop.OwnerID != claimsOf(r).Sub {
		http.Error(w, "not your shop", http.StatusForbidden)
		return
	}
	err = migrate.DropTenant(r.Context(), s.pool, s.cfg, id, migrate.WithMigrationsFS(s.migrations))
	if errors.Is(err, migrate.ErrNoSuchTenant) {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reg.Invalidate(id)
	w.WriteHeader(http.StatusNoContent)
}

// --- products and orders (per shop) ---

type productBody struct {
	Name       string   `json:"name"`
	PriceCents int32    `json:"price_cents"`
	Tags       []string `json:"tags"`
}

func (b *productBody) check() error {
	if b.Name == "" || b.PriceCents < 0 {
		return badRequest("want a name and a price_cents >= 0")
	}
	if b.Tags == nil {
		b.Tags = []string{}
	}
	return nil
}

func (s *server) listProducts(w http.ResponseWriter, r *http.Request) {
	ps, err := s.tenantQueries(r).ListProducts(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, ps)
}

func (s *server) createProduct(w http.ResponseWriter, r *http.Request) {
	var b productBody
	if err := decode(r, &b); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := b.check(); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.tenantQueries(r).CreateProduct(r.Context(), db.CreateProductParams{Name: b.Name, PriceCents: b.PriceCents, Tags: b.Tags})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reply(w, http.StatusCreated, p)
}

func (s *server) getProduct(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		var p db.Product
		if p, err = s.tenantQueries(r).GetProduct(r.Context(), id); err == nil {
			reply(w, http.StatusOK, p)
			return
		}
	}
	s.fail(w, r, err)
}

func (s *server) updateProduct(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var b productBody
	if err := decode(r, &b); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := b.check(); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.tenantQueries(r).UpdateProduct(r.Context(), db.UpdateProductParams{ID: id, Name: b.Name, PriceCents: b.PriceCents, Tags: b.Tags})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, p)
}

func (s *server) deleteProduct(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n, err := s.tenantQueries(r).DeleteProduct(r.Context(), id)
	if err == nil && n == 0 {
		err = pgx.ErrNoRows
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) listOrders(w http.ResponseWriter, r *http.Request) {
	orders, err := s.tenantQueries(r).ListOrders(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, orders)
}

type orderBody struct {
	ProductID int64 `json:"product_id"`
	Quantity  int32 `json:"quantity"`
}

// placeOrder orders a product of the shop for the caller.
func (s *server) placeOrder(w http.ResponseWriter, r *http.Request) {
	var b orderBody
	if err := decode(r, &b); err != nil {
		s.fail(w, r, err)
		return
	}
	if b.Quantity <= 0 {
		s.fail(w, r, badRequest("want a quantity > 0"))
		return
	}
	o, err := s.tenantQueries(r).PlaceOrder(r.Context(), db.PlaceOrderParams{ProductID: b.ProductID, BuyerID: claimsOf(r).Sub, Quantity: b.Quantity})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reply(w, http.StatusCreated, o)
}

func (s *server) getOrder(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err == nil {
		var o db.Order
		if o, err = s.tenantQueries(r).GetOrder(r.Context(), id); err == nil {
			reply(w, http.StatusOK, o)
			return
		}
	}
	s.fail(w, r, err)
}

func (s *server) setOrderStatus(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var b struct {
		Status db.OrderStatus `json:"status"`
	}
	if err := decode(r, &b); err != nil {
		s.fail(w, r, err)
		return
	}
	if !b.Status.Valid() {
		s.fail(w, r, badRequest("unknown status %q", b.Status))
		return
	}
	q := s.tenantQueries(r)
	n, err := q.SetOrderStatus(r.Context(), db.SetOrderStatusParams{ID: id, Status: b.Status})
	if err == nil && n == 0 {
		err = pgx.ErrNoRows
	}
	var o db.Order
	if err == nil {
		o, err = q.GetOrder(r.Context(), id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, o)
}

func (s *server) deleteOrder(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n, err := s.tenantQueries(r).DeleteOrder(r.Context(), id)
	if err == nil && n == 0 {
		err = pgx.ErrNoRows
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// registryTTL is how long the server caches a shop's registry row.
const registryTTL = 30 * time.Second
